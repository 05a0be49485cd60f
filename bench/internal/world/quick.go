package world

import (
	"flag"
	"fmt"
	"strings"
)

// QuickDefaults applies a program's -quick values to every flag in vals the
// command line did not set, so that an explicit flag still wins.
func QuickDefaults(quick bool, vals map[string]string) error {
	if !quick {
		return nil
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, v := range vals {
		if set[name] {
			continue
		}
		if err := flag.Set(name, v); err != nil {
			return fmt.Errorf("-quick: -%s %s: %w", name, v, err)
		}
	}
	return nil
}

// QuickNote describes what -quick changed, for the report.
func QuickNote(quick bool) string {
	if !quick {
		return ""
	}
	var parts []string
	flag.VisitAll(func(f *flag.Flag) {
		if f.Name != "quick" && f.Name != "rpod" && f.Value.String() != f.DefValue {
			parts = append(parts, fmt.Sprintf("-%s %s", f.Name, f.Value))
		}
	})
	return "quick mode (a sanity run, not a measurement): " + strings.Join(parts, " ")
}
