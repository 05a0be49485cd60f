//go:build guest

// Package guest drives the built rpod binary inside the systemd guest of
// tests/vm (pure cgroup v2, a lingering user with its own systemd instance
// and session bus), as that unprivileged user, against a local registry
// serving the fixture's busybox image. tests/vm/guest-test builds it on the
// host and runs it there; the build tag keeps it out of the host suite.
package guest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/fixture"
	"github.com/rpod/rpod/internal/testworld"
)

var (
	rpodBin string
	baseDir string
	// baseEnv is the environment of the shared test world; see newWorld for a private one.
	baseEnv []string
	suite   testworld.Suite
)

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run()) // listing: guest-test asks on the host, where there is nothing to set up
	}
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Geteuid() == 0 {
		fmt.Fprintln(os.Stderr, "guest: these tests drive rpod as an unprivileged user in the guest; run tests/vm/guest-test")
		return 1
	}
	if rpodBin = os.Getenv("RPOD_BIN"); rpodBin == "" {
		fmt.Fprintln(os.Stderr, "guest: RPOD_BIN must name the rpod binary (tests/vm/guest-test sets it)")
		return 1
	}
	var err error
	if baseDir, err = os.MkdirTemp("", "rpod-guest-"); err != nil {
		fmt.Fprintln(os.Stderr, "guest:", err)
		return 1
	}
	start := time.Now()
	reg, err := setup()
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "guest setup:", err)
	} else {
		fmt.Fprintf(os.Stderr, "guest: registry, busybox image and pull ready in %.1fs\n", time.Since(start).Seconds())
		code = m.Run()
	}
	suite.Teardown(baseEnv)
	if reg != nil {
		reg.Stop()
	}
	os.RemoveAll(baseDir) // the guest's disk is thrown away anyway
	return code
}

// setup serves the fixture's busybox from a local registry and pulls it
// into the shared world. Worlds keep the user's session bus, so that rpod
// reaches the user's systemd.
func setup() (*fixture.Registry, error) {
	suite = testworld.Suite{Bin: rpodBin, Dir: baseDir, Timeout: commandTimeout, Keep: []string{"DBUS_SESSION_BUS_ADDRESS"}}
	reg, err := suite.Serve("busybox")
	if err != nil {
		return reg, err
	}
	if baseEnv, err = suite.MakeWorld(filepath.Join(baseDir, "world")); err != nil {
		return reg, err
	}
	if r := run(baseEnv, nil, "pull", "-q", "busybox"); r.Code != 0 {
		return reg, fmt.Errorf("pull busybox: %s", r.Err)
	}
	return reg, nil
}
