//go:build tools

package rpod

import (
	_ "github.com/spf13/cobra"
	_ "go.podman.io/image/v5/copy"
	_ "go.podman.io/storage"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
)
