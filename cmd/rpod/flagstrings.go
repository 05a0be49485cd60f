package main

import (
	"encoding/csv"
	"strings"

	"github.com/spf13/pflag"
)

// stringsValue is pflag's stringArray (and, with split, its stringSlice)
// for a flag whose default is empty. pflag formats each such flag's default
// with an encoding/csv writer when the flag is defined: for the some 200
// flags of rpod's commands that was half of building the command tree,
// which every command pays before it runs.
type stringsValue struct {
	p       *[]string
	split   bool // --flag a,b gives two values, as pflag's StringSlice
	changed bool
}

// stringArrayVar defines a repeatable flag whose every value is kept whole.
func stringArrayVar(fs *pflag.FlagSet, p *[]string, name, short, usage string) {
	fs.VarP(&stringsValue{p: p}, name, short, usage)
}

// stringSliceVar defines a repeatable flag whose values are also split at commas.
func stringSliceVar(fs *pflag.FlagSet, p *[]string, name, short, usage string) {
	fs.VarP(&stringsValue{p: p, split: true}, name, short, usage)
}

func (v *stringsValue) Set(s string) error {
	vals := []string{s}
	if v.split {
		if s == "" {
			vals = []string{}
		} else {
			var err error
			if vals, err = csv.NewReader(strings.NewReader(s)).Read(); err != nil {
				return err
			}
		}
	}
	if !v.changed {
		*v.p = vals
		v.changed = true
	} else {
		*v.p = append(*v.p, vals...)
	}
	return nil
}

func (v *stringsValue) Type() string {
	if v.split {
		return "strings"
	}
	return "stringArray"
}

// String is "" for no values, not pflag's "[]": help then shows no default.
func (v *stringsValue) String() string {
	if len(*v.p) == 0 {
		return ""
	}
	return "[" + strings.Join(*v.p, ",") + "]"
}
