package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
	"golang.org/x/term"

	"github.com/rpod/rpod/image"
)

func init() { register(newLoginCmd, newLogoutCmd) }

func newLoginCmd() *cobra.Command {
	var (
		user, password string
		passwordStdin  bool
		rf             registryFlags
	)
	cmd := &cobra.Command{
		Use:   "login [flags] [REGISTRY]",
		Short: "Log in to a registry",
		Long:  "Log in to a registry: the credentials are checked against it, then saved in $XDG_RUNTIME_DIR/containers/auth.json (or $REGISTRY_AUTH_FILE, or --authfile).",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if password != "" && passwordStdin {
				return errors.New("--password and --password-stdin cannot be used together")
			}
			sys, err := rf.systemContext(cmd)
			if err != nil {
				return err
			}
			key, err := registryArg(sys, args)
			if err != nil {
				return err
			}
			in := bufio.NewReader(os.Stdin)
			tty := term.IsTerminal(int(os.Stdin.Fd()))
			if user == "" {
				if passwordStdin || !tty {
					return errors.New("login needs a user name: use -u USER")
				}
				fmt.Fprint(os.Stderr, "Username: ")
				l, _ := in.ReadString('\n')
				if user = strings.TrimSpace(l); user == "" {
					return errors.New("login needs a user name: use -u USER")
				}
			}
			switch {
			case passwordStdin:
				b, err := io.ReadAll(in)
				if err != nil {
					return fmt.Errorf("read the password from stdin: %w", err)
				}
				password = strings.TrimRight(string(b), "\r\n")
			case password == "" && tty:
				fmt.Fprint(os.Stderr, "Password: ")
				b, err := term.ReadPassword(int(os.Stdin.Fd()))
				fmt.Fprintln(os.Stderr)
				if err != nil {
					return fmt.Errorf("read the password: %w", err)
				}
				password = string(b)
			}
			if password == "" {
				return errors.New("login needs a password: use -p PASSWORD, --password-stdin, or a terminal")
			}
			if _, err := image.Login(cmd.Context(), sys, key, user, password); err != nil {
				return err
			}
			fmt.Println("Login Succeeded!")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&user, "username", "u", "", "user name")
	f.StringVarP(&password, "password", "p", "", "password (visible to other users in ps: prefer --password-stdin)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from stdin")
	rf.add(f, false)
	return cmd
}

func newLogoutCmd() *cobra.Command {
	var (
		all bool
		rf  registryFlags
	)
	cmd := &cobra.Command{
		Use:   "logout [flags] [REGISTRY]",
		Short: "Remove the saved credentials of a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sys, err := rf.systemContext(cmd)
			if err != nil {
				return err
			}
			if all {
				if len(args) > 0 {
					return errors.New("--all takes no registry")
				}
				if err := image.Logout(sys, ""); err != nil {
					return err
				}
				fmt.Println("Removed login credentials for all registries")
				return nil
			}
			key, err := registryArg(sys, args)
			if err != nil {
				return err
			}
			if err := image.Logout(sys, key); err != nil {
				return err
			}
			fmt.Printf("Removed login credentials for %s\n", key)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove the credentials of every registry")
	cmd.Flags().StringVar(&rf.authfile, "authfile", "", "path of the authentication file (default: $REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers/auth.json)")
	return cmd
}

// registryArg is login's and logout's registry: the argument, else the first unqualified-search registry, as podman does.
func registryArg(sys *types.SystemContext, args []string) (string, error) {
	if len(args) == 1 {
		return image.RegistryKey(args[0])
	}
	regs, err := sysregistriesv2.UnqualifiedSearchRegistries(sys)
	if err != nil || len(regs) == 0 {
		return "", errors.New("no registry given and no unqualified-search-registries in registries.conf: name one, e.g. rpod login quay.io")
	}
	return regs[0], nil
}
