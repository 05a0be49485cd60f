//go:build guest

package guest

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/testworld"
)

// Everything is emulated in the guest: generous timeouts.
const (
	commandTimeout = 5 * time.Minute
	waitTimeout    = 60 * time.Second
)

// The suite's helpers, by the names its tests use.
type result = testworld.Result

// newWorld gives a test a private store and namespace with busybox pulled;
// extra overrides env ("DBUS_SESSION_BUS_ADDRESS=" takes the bus away).
func newWorld(t *testing.T, extra ...string) []string {
	t.Helper()
	env := suite.NewWorld(t, extra...)
	ok(t, env, "pull", "-q", "busybox")
	return env
}

func getenv(env []string, key string) string { return testworld.Getenv(env, key) }

func withEnv(env []string, kv ...string) []string { return testworld.WithEnv(env, kv...) }

// run executes rpod with env and optional stdin; it never fails the test itself.
func run(env []string, stdin io.Reader, args ...string) result { return suite.Run(env, stdin, args...) }

// runCmd executes any command as run does rpod.
func runCmd(env []string, stdin io.Reader, name string, args ...string) result {
	return suite.RunCmd(env, stdin, name, args...)
}

// rpod runs rpod in the shared world.
func rpod(t *testing.T, args ...string) result {
	t.Helper()
	return run(baseEnv, nil, args...)
}

// ok runs rpod in env and fails the test unless it exits 0; it returns stdout.
func ok(t *testing.T, env []string, args ...string) string {
	t.Helper()
	return suite.OK(t, env, args...)
}

// wantError checks podman's contract for a failure: the exit code, and a
// stderr whose only Error line contains want.
func wantError(t *testing.T, r result, code int, want string) {
	t.Helper()
	testworld.WantError(t, r, code, want)
}

// waitUntil polls cond for up to a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testworld.WaitUntil(t, waitTimeout, what, cond)
}

// userService is the cgroup directory of this user's systemd instance.
func userService() string {
	uid := os.Getuid()
	return fmt.Sprintf("/sys/fs/cgroup/user.slice/user-%d.slice/user@%d.service", uid, uid)
}

// delegated lists the controllers systemd delegates to this user's manager:
// the guest's default delegates cpu cpuset io memory pids, a boot with
// run-in-vm --delegate default Debian's own cpu memory pids.
func delegated(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(userService() + "/cgroup.controllers")
	if err != nil {
		t.Fatalf("controllers of the user's manager: %v", err)
	}
	return strings.Fields(string(b))
}

// requireDelegated skips the test unless every one of controllers is delegated.
func requireDelegated(t *testing.T, controllers ...string) {
	t.Helper()
	have := delegated(t)
	for _, c := range controllers {
		if !slices.Contains(have, c) {
			t.Skipf("controller %s is not delegated here (delegated: %v)", c, have)
		}
	}
}

// requireNotDelegated skips the test unless none of controllers is
// delegated. Name such tests TestNotDelegated*: guest-test runs them in a
// boot of their own with Debian's default delegation (cpu memory pids).
func requireNotDelegated(t *testing.T, controllers ...string) {
	t.Helper()
	have := delegated(t)
	for _, c := range controllers {
		if slices.Contains(have, c) {
			t.Skipf("controller %s is delegated here (delegated: %v)", c, have)
		}
	}
}
