package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rpod/rpod/bench/internal/world"
)

// defaultRow is rpod's default backend's row of rows, or nil.
func (b *bench) defaultRow(rows []*row) *row {
	for _, r := range rows {
		if r.isDefault {
			return r
		}
	}
	return nil
}

// report prints the header, the four tables and the unavailable rows.
func (b *bench) report(out io.Writer, rounds int, load string) {
	world.Header(out, "rpod network benchmark", []string{world.FirstLine(b.w.Rpod, "version"), world.FirstLine("podman", "--version"),
		world.FirstLine("slirp4netns", "--version"), world.FirstLine("pasta", "--version"), world.FirstLine("/usr/bin/iperf3", "--version")}, load)
	fmt.Fprintf(out, "rpod's default backend (what rpod records for a container created without --network): %s\n", b.defaultBackend())
	fmt.Fprintf(out, "%d rounds, each figure the median over them (range: min-max); iperf3 -t %d, one TCP stream;\n", rounds, b.secs)
	fmt.Fprintf(out, "HTTP: GETs one after the other from one client, a new connection each, for %d s\n", b.secs)

	fmt.Fprintln(out, "\nTCP container -> host (iperf3 server on the host's 127.0.0.1, client in the container):")
	b.table(out, b.toHost, "Gbit/s", "%.2f")
	fmt.Fprintln(out, "\nTCP host -> container through a published port (-p HOSTPORT:5201; iperf3 server in the container):")
	b.table(out, b.fromHost, "Gbit/s", "%.2f")
	fmt.Fprintln(out, "\nconnection setup: short HTTP GETs through a published port to busybox httpd:")
	b.table(out, b.rate, "requests/s", "%.0f")

	fmt.Fprintln(out, "\nmemory per container (PSS KiB, first round, read with the iperf3 server container running after its transfer;")
	fmt.Fprintln(out, "network stack: rpod: total less the monitor of a --network none container; podman: the helpers, conmon holds no network):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "network\tmonitor\thelpers\ttotal\tnetwork stack\t")
	var base int64 // rpod's monitor with --network none
	for _, m := range b.mem {
		if m.name == "rpod none" && m.why == "" {
			base = m.monitor
		}
	}
	for _, m := range b.mem {
		if m.why != "" {
			continue
		}
		// podman's conmon holds no network; rpod's monitor holds the embedded stack and the port driver.
		over := "-"
		if strings.HasPrefix(m.name, "podman") {
			over = fmt.Sprint(m.total() - m.monitor)
		} else if base > 0 {
			over = fmt.Sprint(m.total() - base)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t\n", m.name, m.monitor, helperList(m.helpers), m.total(), over)
	}
	tw.Flush()

	fmt.Fprintln(out, "\ncommands:")
	seen := map[string]bool{}
	for _, rows := range [][]*row{b.toHost, b.fromHost, b.rate} {
		for _, r := range rows {
			if r.argv != "" && !seen[r.argv] {
				seen[r.argv] = true
				fmt.Fprintf(out, "  %s\n", r.argv)
			}
		}
	}
	for _, rows := range [][]*row{b.toHost, b.fromHost, b.rate} {
		for _, r := range rows {
			if r.why != "" {
				fmt.Fprintf(out, "%s: unavailable: %s\n", r.name, strings.ReplaceAll(r.why, "\n", " "))
			}
		}
	}
	for _, m := range b.mem {
		if m.why != "" {
			fmt.Fprintf(out, "memory of %s: unavailable: %s\n", m.name, m.why)
		}
	}
}

// table prints rows with their value and the ratios to loopback and to rpod's default.
func (b *bench) table(out io.Writer, rows []*row, unit, format string) {
	var limit, def float64
	for _, r := range rows {
		if r.why != "" {
			continue
		}
		if r.isLimit {
			limit = r.value
		}
		if r.isDefault {
			def = r.value
		}
	}
	ratio := func(v, of float64) string {
		if of <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", v/of)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\trange\tvs loopback\tvs rpod default\t\n", unit)
	for _, r := range rows {
		if r.why != "" {
			fmt.Fprintf(tw, "%s\tunavailable\t\t\t\t\n", r.name)
			continue
		}
		name := r.name
		if r.isDefault {
			name += " (default)"
		}
		rng := "-"
		if len(r.values) > 0 {
			rng = fmt.Sprintf(format+"-"+format, slices.Min(r.values), slices.Max(r.values))
		}
		fmt.Fprintf(tw, "%s\t"+format+"\t%s\t%s\t%s\t\n", name, r.value, rng, ratio(r.value, limit), ratio(r.value, def))
	}
	tw.Flush()
}
