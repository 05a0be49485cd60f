package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.podman.io/image/v5/types"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/userns"
)

func init() {
	register(newPullCmd)
	registerImage(newPullCmd)
}

func newPullCmd() *cobra.Command {
	var (
		quiet                         bool
		platform, goos, arch, variant string
		rf                            registryFlags
		retry                         = image.DefaultRetry
	)
	cmd := &cobra.Command{
		Use:   "pull [flags] IMAGE",
		Short: "Pull an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sys, err := rf.systemContext(cmd)
			if err != nil {
				return err
			}
			if platform != "" {
				if goos != "" || arch != "" || variant != "" {
					return fmt.Errorf("--platform cannot be combined with --os, --arch or --variant")
				}
				if goos, arch, variant, err = image.ParsePlatform(platform); err != nil {
					return fmt.Errorf("--platform: %w", err)
				}
			}
			sys.OSChoice, sys.ArchitectureChoice, sys.VariantChoice = goos, arch, variant
			store, err := openStore()
			if err != nil {
				return err
			}
			o := image.PullOptions{Report: os.Stderr, Retry: retry}
			if quiet {
				o.Report = nil
			}
			if image.HasTransport(args[0]) {
				return printCopied(image.CopyIn(cmd.Context(), store, sys, args[0], o.Report))
			}
			img, err := image.Pull(cmd.Context(), store, sys, args[0], o)
			if err != nil {
				return err
			}
			fmt.Println(img.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the image id")
	f.StringVar(&platform, "platform", "", "pull the image for this platform, os/arch[/variant] (default: the host's)")
	f.StringVar(&goos, "os", "", "pull the image for this OS instead of the host's")
	f.StringVar(&arch, "arch", "", "pull the image for this architecture instead of the host's")
	f.StringVar(&variant, "variant", "", "pull the image for this architecture variant")
	f.IntVar(&retry.Attempts, "retry", retry.Attempts, "attempts when the registry fails transiently (5xx, 429, broken connection)")
	f.DurationVar(&retry.Delay, "retry-delay", retry.Delay, "wait before the first retry; it doubles with each retry")
	rf.add(f, true)
	return cmd
}

// registryFlags are the flags of the commands that talk to a registry.
type registryFlags struct {
	tlsVerify       bool
	creds, authfile string
}

func (r *registryFlags) add(f *pflag.FlagSet, creds bool) {
	f.BoolVar(&r.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates (default: registries.conf decides; false allows plain HTTP)")
	f.StringVar(&r.authfile, "authfile", "", "path of the authentication file (default: $REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers/auth.json)")
	if creds {
		f.StringVar(&r.creds, "creds", "", "credentials USER:PASSWORD for the registry")
	}
}

// systemContext is image.SystemContext with the flags applied.
func (r *registryFlags) systemContext(cmd *cobra.Command) (*types.SystemContext, error) {
	sys := image.SystemContext()
	if cmd.Flags().Changed("tls-verify") {
		sys.DockerInsecureSkipTLSVerify = types.NewOptionalBool(!r.tlsVerify)
	}
	if r.creds != "" {
		u, p, err := image.ParseCreds(r.creds)
		if err != nil {
			return nil, err
		}
		sys.DockerAuthConfig = &types.DockerAuthConfig{Username: u, Password: p}
	}
	switch {
	case r.authfile != "":
		sys.AuthFilePath = r.authfile
	case os.Getenv("REGISTRY_AUTH_FILE") != "":
		sys.AuthFilePath = os.Getenv("REGISTRY_AUTH_FILE")
	default:
		if err := ensureRuntimeDirEnv(); err != nil {
			return nil, err
		}
	}
	return sys, nil
}

// ensureRuntimeDirEnv points XDG_RUNTIME_DIR at rpod's fallback when it is
// not a directory of the user's, as podman does, so that containers/image
// keeps auth.json there rather than in root's /run/containers/0.
func ensureRuntimeDirEnv() error {
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		if st, err := os.Stat(x); err == nil && st.IsDir() && int(st.Sys().(*syscall.Stat_t).Uid) == os.Getuid() {
			return nil
		}
	}
	rd, err := userns.RuntimeDir()
	if err != nil {
		return err
	}
	return os.Setenv("XDG_RUNTIME_DIR", filepath.Dir(rd))
}
