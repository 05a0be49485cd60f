package world

import (
	"fmt"
	"io"
)

// GoalPrefix starts every line that states a figure of issue 9 against its
// goal; bench/run.sh collects these lines from all programs into one summary.
const GoalPrefix = "goal: "

// Goal is one figure of issue 9: rpod's value, the peer's, and the bound on
// their ratio (rpod / peer) if the issue sets one.
type Goal struct {
	What       string  // the figure, e.g. "run --rm busybox true, default network"
	Unit       string  // "ms", "KiB", "s"
	Rpod, Peer float64 // the two values, in Unit
	RpodName   string  // what Rpod is, if not "rpod" (e.g. "rpod at 1000")
	PeerName   string  // "podman", "bwrap"
	Max        float64 // the ratio must be at most this; 0: no bound, the figure is only reported
	Strict     bool    // the ratio must be below Max, not at most
	MaxText    string  // how the issue writes the bound, e.g. "1/6"; "" prints Max
	Why        string  // non-empty: the figure could not be measured, and why
}

// Ratio is rpod's value over the peer's; 0 if the peer's is not positive.
func (g Goal) Ratio() float64 {
	if g.Peer <= 0 {
		return 0
	}
	return g.Rpod / g.Peer
}

// Verdict says "met", "not met" or, without a bound, that the figure is only compared.
func (g Goal) Verdict() string {
	r := g.Ratio()
	switch {
	case g.Max <= 0:
		return "no bound set (compared only)"
	case g.Peer <= 0:
		return "not measured"
	case r < g.Max || (!g.Strict && r == g.Max):
		return "met"
	default:
		return "not met"
	}
}

// Line formats the goal as one line starting with GoalPrefix.
func (g Goal) Line() string {
	if g.Why != "" {
		return fmt.Sprintf("%s%s: not measured: %s", GoalPrefix, g.What, g.Why)
	}
	bound := ""
	if g.Max > 0 {
		op := "<="
		if g.Strict {
			op = "<"
		}
		text := g.MaxText
		if text == "" {
			text = fmt.Sprintf("%.2fx", g.Max)
		} else {
			text = fmt.Sprintf("%s = %.3fx", text, g.Max)
		}
		bound = fmt.Sprintf("goal %s %s %s: ", op, text, g.PeerName)
	}
	name := g.RpodName
	if name == "" {
		name = "rpod"
	}
	return fmt.Sprintf("%s%s: %s %s %s, %s %s %s = %.3fx; %s%s", GoalPrefix, g.What, name, num(g.Rpod), g.Unit,
		g.PeerName, num(g.Peer), g.Unit, g.Ratio(), bound, g.Verdict())
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// Goals prints a heading and one line per goal.
func Goals(out io.Writer, goals []Goal) {
	if len(goals) == 0 {
		return
	}
	fmt.Fprintln(out, "\nissue 9 goals (ratio = rpod / peer):")
	for _, g := range goals {
		fmt.Fprintln(out, g.Line())
	}
}
