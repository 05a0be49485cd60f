package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/rpod/rpod/bench/internal/world"
)

// commands are the rows of the curve, in order; each is prefixed with the tool's name.
var commands = []string{"ps -a", "images", "run --rm --network none"}

// report prints the environment, the curve of medians, rpod against podman at each size, and the growth figures.
func report(out io.Writer, b *bench, points []*point, n, podmanMax int, load, quick string) {
	world.Header(out, "rpod growth benchmark", []string{world.FirstLine(b.w.Rpod, "version"), world.FirstLine("podman", "--version")}, load)
	if quick != "" {
		fmt.Fprintln(out, quick)
	}
	fmt.Fprintln(out, "the store grows to N containers (create, never started) and N more images (import of a one-file tarball each),")
	fmt.Fprintf(out, "N = each size in turn; podman up to %d. At each size: %d timed runs of each command, interleaved, after %d warm-up;\n", podmanMax, n, warmups)
	fmt.Fprintln(out, "median wall time in ms. rpod-ctrs is rpod with a second store that grows by the N containers alone. The start path,")
	fmt.Fprintln(out, "run --rm --network none busybox true, should not grow with the containers (issue 9).")
	fmt.Fprintln(out)

	median := func(p *point, name string) (float64, bool) {
		for _, r := range p.rows {
			if r.Name == name && r.Why == "" && len(r.Times) > 0 {
				return ms(world.Median(r.Times)), true
			}
		}
		return 0, false
	}
	tw := sizeTable(out, "median ms", points, "last / first")
	for _, name := range rowNames() {
		fmt.Fprintf(tw, "%s\t", name)
		var first, last float64
		for _, p := range points {
			v, ok := median(p, name)
			if !ok {
				fmt.Fprint(tw, "-\t")
				continue
			}
			if first == 0 {
				first = v
			}
			last = v
			fmt.Fprintf(tw, "%.1f\t", v)
		}
		if first > 0 {
			fmt.Fprintf(tw, "%.2fx\t\n", last/first)
		} else {
			fmt.Fprint(tw, "-\t\n")
		}
	}
	tw.Flush()

	fmt.Fprintln(out)
	tw = sizeTable(out, "rpod / podman", points, "")
	for _, c := range commands {
		fmt.Fprintf(tw, "%s\t", c)
		for _, p := range points {
			rv, ok1 := median(p, "rpod "+c)
			pv, ok2 := median(p, "podman "+c)
			if ok1 && ok2 && pv > 0 {
				fmt.Fprintf(tw, "%.2fx\t", rv/pv)
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	if b.strace != "" {
		fmt.Fprintln(out)
		syscallTable(out, points)
	} else {
		fmt.Fprintln(out, "\nstrace not installed: no system call counts")
	}

	fmt.Fprintln(out)
	for _, p := range points {
		fmt.Fprintf(out, "N = %d: listed:", p.size)
		for _, tool := range []string{"rpod", "podman"} {
			for _, c := range commands[:2] {
				if v, ok := p.listed[tool+" "+c]; ok {
					fmt.Fprintf(out, " %s %s %d;", tool, c, v)
				}
			}
		}
		fmt.Fprint(out, " growing the store took")
		for _, tool := range []string{"rpod", "rpod-ctrs", "podman"} {
			if d, ok := p.grow[tool]; ok {
				fmt.Fprintf(out, " %s %.1f s", tool, d.Seconds())
			}
		}
		fmt.Fprintln(out)
		for _, r := range p.rows {
			if r.Why != "" {
				fmt.Fprintf(out, "N = %d: %s: unavailable: %s\n", p.size, r.Name, r.Why)
			}
		}
	}
	if b.podWhy != "" {
		fmt.Fprintf(out, "podman: unavailable: %s\n", b.podWhy)
	}
	world.Goals(out, goals(points, median))
}

// ctrsOnlyRun is the start path in the store that grows by containers alone.
const ctrsOnlyRun = "rpod-ctrs run --rm --network none"

// rowNames are the rows of the tables, in order.
func rowNames() []string {
	var names []string
	for _, tool := range []string{"rpod", "podman"} {
		for _, c := range commands {
			names = append(names, tool+" "+c)
		}
		if tool == "rpod" {
			names = append(names, ctrsOnlyRun)
		}
	}
	return names
}

// sizeTable starts a right-aligned table with a column per size; tail heads the column after them.
func sizeTable(out io.Writer, head string, points []*point, tail string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s at N =\t", head)
	for _, p := range points {
		fmt.Fprintf(tw, "%d\t", p.size)
	}
	if tail != "" {
		tail += "\t"
	}
	fmt.Fprintln(tw, tail)
	return tw
}

// syscallTable prints, for each row and size, the system calls of one run
// under strace -f -c as "total/openat", and last / first of the totals.
func syscallTable(out io.Writer, points []*point) {
	tw := sizeTable(out, "syscalls total/openat", points, "last / first")
	for _, name := range rowNames() {
		fmt.Fprintf(tw, "%s\t", name)
		first, last := 0, 0
		for _, p := range points {
			v, ok := p.sys[name]
			if !ok {
				fmt.Fprint(tw, "-\t")
				continue
			}
			if first == 0 {
				first = v.total
			}
			last = v.total
			fmt.Fprintf(tw, "%d/%d\t", v.total, v.openat)
		}
		if first > 0 {
			fmt.Fprintf(tw, "%.2fx\t\n", float64(last)/float64(first))
		} else {
			fmt.Fprint(tw, "-\t\n")
		}
	}
	tw.Flush()
	fmt.Fprintln(out, "(one untimed run of each row under strace -f -c, the whole process tree: independent of the machine's load)")
}

// goals states issue 9's growth figures: each rpod command at the largest
// size against itself at the smallest (the start path should stay flat; the
// issue sets no number), and rpod's listings against podman's at the largest
// size podman was measured at.
func goals(points []*point, median func(*point, string) (float64, bool)) []world.Goal {
	var gs []world.Goal
	if len(points) == 0 {
		return nil
	}
	first, last := points[0], points[len(points)-1]
	for _, c := range commands {
		g := world.Goal{What: fmt.Sprintf("growth of rpod %s, N = %d -> %d containers and images", c, first.size, last.size), Unit: "ms",
			RpodName: fmt.Sprintf("rpod at %d", last.size), PeerName: fmt.Sprintf("rpod at %d", first.size)}
		a, ok1 := median(last, "rpod "+c)
		z, ok2 := median(first, "rpod "+c)
		if !ok1 || !ok2 || len(points) < 2 {
			g.Why = "needs two sizes measured"
		} else {
			g.Rpod, g.Peer = a, z
		}
		gs = append(gs, g)
	}
	g := world.Goal{What: fmt.Sprintf("growth of rpod run --rm --network none, N = %d -> %d containers (no images)", first.size, last.size), Unit: "ms",
		RpodName: fmt.Sprintf("rpod at %d", last.size), PeerName: fmt.Sprintf("rpod at %d", first.size)}
	if a, ok1 := median(last, ctrsOnlyRun); ok1 && len(points) >= 2 {
		if z, ok2 := median(first, ctrsOnlyRun); ok2 {
			g.Rpod, g.Peer = a, z
		}
	}
	if g.Rpod == 0 {
		g.Why = "needs two sizes measured"
	}
	gs = append(gs, g)
	if a, ok1 := last.sys["rpod run --rm --network none"]; ok1 && len(points) >= 2 {
		if z, ok2 := first.sys["rpod run --rm --network none"]; ok2 {
			gs = append(gs, world.Goal{What: fmt.Sprintf("growth of rpod run --rm --network none in system calls (strace -f -c), N = %d -> %d", first.size, last.size),
				Unit: "calls", RpodName: fmt.Sprintf("rpod at %d", last.size), PeerName: fmt.Sprintf("rpod at %d", first.size),
				Rpod: float64(a.total), Peer: float64(z.total)})
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		p := points[i]
		if _, ok := median(p, "podman ps -a"); !ok {
			continue
		}
		for _, c := range commands[:2] {
			g := world.Goal{What: fmt.Sprintf("%s with %d containers and images, median", c, p.size), Unit: "ms", PeerName: "podman"}
			rv, ok1 := median(p, "rpod "+c)
			pv, ok2 := median(p, "podman "+c)
			if !ok1 || !ok2 {
				g.Why = "not measured at this size"
			} else {
				g.Rpod, g.Peer = rv, pv
			}
			gs = append(gs, g)
		}
		break
	}
	return gs
}
