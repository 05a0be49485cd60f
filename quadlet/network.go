package quadlet

import (
	"fmt"
	"slices"
	"strings"
)

// networkBackends are the --network modes rpod has; podman's bridge and
// named networks are not among them.
var networkBackends = []string{"embedded", "slirp4netns", "pasta", "none", "host"}

const noBridge = "rpod has no bridge or named networks: use embedded, slirp4netns, pasta, none or host"

// network checks a .network file and returns the --network mode it stands
// for: Driver= (one of rpod's backends) and Options= as BACKEND:OPT,OPT.
// There is nothing to create, so it becomes no unit.
func (g *gen) network(f *UnitFile) (string, error) {
	if err := checkSections(f, "Network"); err != nil {
		return "", err
	}
	var driver *Entry
	var opts []string
	es := entries(f, "Network")
	for i := range es {
		if es[i].Key == "Driver" {
			driver = &es[i]
		}
	}
	if driver == nil {
		return "", &Error{File: f.Path, Msg: "no Driver= in [Network]: podman's default is a bridge network, and " + noBridge}
	}
	if !slices.Contains(networkBackends, driver.Value) {
		return "", &Error{f.Path, driver.Line, fmt.Sprintf("Driver=%s: %s", driver.Value, noBridge)}
	}
	for _, e := range es {
		switch e.Key {
		case "Driver":
		case "Options":
			opts = append(opts, e.Value)
		default:
			return "", unsupported(f, e, "Network", "rpod's networks are per container: only Driver= and Options= apply")
		}
	}
	mode := driver.Value
	if len(opts) > 0 {
		if mode == "none" || mode == "host" {
			return "", &Error{f.Path, driver.Line, fmt.Sprintf("Driver=%s takes no Options=", mode)}
		}
		mode += ":" + strings.Join(opts, ",")
	}
	return mode, nil
}

// networkMode is the --network value of a Network= key.
func (g *gen) networkMode(f *UnitFile, e Entry) (string, error) {
	v := e.Value
	if strings.HasSuffix(v, ".network") {
		other, ok := g.byName[v]
		if !ok {
			return "", &Error{f.Path, e.Line, fmt.Sprintf("Network=%s: no such Quadlet file in the search path", v)}
		}
		mode, err := g.network(other)
		if err != nil {
			return "", &Error{f.Path, e.Line, fmt.Sprintf("Network=%s: %v", v, err)}
		}
		return mode, nil
	}
	backend, _, _ := strings.Cut(v, ":")
	if slices.Contains(networkBackends, backend) || backend == "container" || backend == "ns" {
		return v, nil
	}
	return "", &Error{f.Path, e.Line, fmt.Sprintf("Network=%s: %s", v, noBridge)}
}
