// Package systemd holds rpod's user units (rpod-restart.service,
// rpod-user-wait-network-online.service), embedded for the guest tests;
// `make install` copies the files with @BINDIR@ replaced.
package systemd

import "embed"

// Units are the *.service files of this directory.
//
//go:embed *.service
var Units embed.FS
