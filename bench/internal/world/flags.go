package world

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Flags are the flags every benchmark takes (-rpod, -keep, -quick) and what -quick sets.
type Flags struct {
	Quick bool // -quick: a sanity run, not a measurement
	rpod  string
	keep  bool
	quick []string // name, value, name, value, ...
}

// Register defines -rpod, -keep and -quick on the default FlagSet; quick holds name, value pairs -quick sets.
func (f *Flags) Register(quick ...string) {
	if len(quick)%2 != 0 {
		panic("world.Flags.Register: quick wants name, value pairs")
	}
	f.quick = quick
	// -quick's help text is made from the values it sets so that the two cannot disagree.
	var set []string
	for i := 0; i < len(quick); i += 2 {
		set = append(set, "-"+quick[i]+" "+quick[i+1])
	}
	flag.StringVar(&f.rpod, "rpod", "", "rpod binary (default: go build ./cmd/rpod into the temporary directory)")
	flag.BoolVar(&f.keep, "keep", false, "keep the temporary directory (the stores are still removed)")
	flag.BoolVar(&f.Quick, "quick", false, "a sanity run: "+strings.Join(set, " ")+" unless given")
}

// Parse parses the command line, applies -quick and checks that the named int flags are at least 1; nonzero is the exit code, the reason printed.
func (f *Flags) Parse(positive ...string) int {
	flag.Parse()
	vals := map[string]string{}
	for i := 0; i < len(f.quick); i += 2 {
		vals[f.quick[i]] = f.quick[i+1]
	}
	if err := QuickDefaults(f.Quick, vals); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if msg := atLeastOne(positive); msg != "" {
		fmt.Fprintln(os.Stderr, "bench:", msg)
		return 2
	}
	return 0
}

// atLeastOne says which of the named int flags must be at least 1 if any is not; "" if all are.
func atLeastOne(names []string) string {
	bad := false
	for _, name := range names {
		fl := flag.Lookup(name)
		if fl == nil {
			panic("world: no flag -" + name)
		}
		if fl.Value.(flag.Getter).Get().(int) < 1 {
			bad = true
		}
	}
	if !bad {
		return ""
	}
	// Every flag checked is named, not only the bad ones: the bound holds for all of them.
	list := "-" + names[len(names)-1]
	if len(names) > 1 {
		list = "-" + strings.Join(names[:len(names)-1], ", -") + " and " + list
	}
	return list + " must be at least 1"
}

// Run creates the world, sets it up with -rpod's binary, runs body in it and tears it down (keeping the directory under -keep); it returns the exit code.
func (f *Flags) Run(body func(ctx context.Context, w *World) int) int {
	ctx, w, end, code := begin(f.keep)
	if code != 0 {
		return code
	}
	defer end()
	if err := w.Setup(ctx, f.rpod); err != nil {
		fmt.Fprintln(os.Stderr, "bench: setup:", err)
		return 1
	}
	return body(ctx, w)
}
