package world

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Header prints the benchmark's title with the date, the host, the tools'
// version lines and the load average.
func Header(out io.Writer, title string, versions []string, load string) {
	fmt.Fprintf(out, "%s, %s\n", title, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(out, "host: %s, kernel %s, %d CPUs\n", osName(), kernel(), runtime.NumCPU())
	fmt.Fprintf(out, "versions: %s\n", strings.Join(versions, "; "))
	fmt.Fprintf(out, "load average: %s\n", load)
}

// Column is an extra column of the table, after the ratio.
type Column struct {
	Head  string
	Value func(*Row) string
}

// Table prints median, p90 and min of every available row in milliseconds
// and the ratio of its median to the reference row's, then the extra columns.
func Table(out io.Writer, rows []*Row, extra ...Column) {
	var ref time.Duration
	for _, r := range rows {
		if r.IsRef && len(r.Times) > 0 {
			ref = Median(r.Times)
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "command\tmedian ms\tp90 ms\tmin ms\tvs rpod (median / rpod median)\t")
	for _, c := range extra {
		fmt.Fprintf(tw, "%s\t", c.Head)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		if r.Why != "" || len(r.Times) == 0 {
			continue
		}
		ratio := "-"
		if ref > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(Median(r.Times))/float64(ref))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t", r.Name, MS(Median(r.Times)), MS(Percentile(r.Times, 0.9)),
			MS(slices.Min(r.Times)), ratio)
		for _, c := range extra {
			fmt.Fprintf(tw, "%s\t", c.Value(r))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// Footer prints every row's command line and the rows that were unavailable, with why.
func Footer(out io.Writer, rows []*Row) {
	fmt.Fprintln(out, "commands:")
	for _, r := range rows {
		fmt.Fprintf(out, "  %-32s %s\n", r.Name+":", strings.Join(append([]string{filepath.Base(r.Argv[0])}, r.Argv[1:]...), " "))
	}
	for _, r := range rows {
		if r.Why != "" {
			fmt.Fprintf(out, "%s: unavailable: %s\n", r.Name, r.Why)
		}
	}
}

// FirstLine runs a version command and returns its first line, or "NAME ?".
func FirstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil || line == "" {
		return filepath.Base(name) + " ?"
	}
	if name != "" && !strings.Contains(strings.ToLower(line), strings.ToLower(filepath.Base(name))) {
		line = filepath.Base(name) + " " + line
	}
	return strings.Join(strings.Fields(line), " ")
}

// Loadavg returns the 1, 5 and 15 minute load averages.
func Loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "?"
}
