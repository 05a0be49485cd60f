// Package initbin carries the container init step as a program of its own
// (cmd/rpod-init), embedded in rpod by `make build`: starting it costs what
// a small static Go program costs, not the initialisation of every package
// rpod links.
package initbin

import (
	"embed"
	"strings"
)

//go:embed bin
var files embed.FS

// Stamp is set with -X by `make build` to the stamp of the init it embeds;
// empty in a plain go build.
var Stamp string

// Binary returns the embedded init step, or nil when this build has none
// built with it: an init from another build may not speak its Spec.
func Binary() []byte {
	if Stamp == "" {
		return nil
	}
	s, err := files.ReadFile("bin/stamp")
	if err != nil || strings.TrimSpace(string(s)) != Stamp {
		return nil
	}
	b, err := files.ReadFile("bin/rpod-init")
	if err != nil {
		return nil
	}
	return b
}
