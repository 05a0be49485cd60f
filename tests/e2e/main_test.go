// Package e2e drives the built rpod binary as an unprivileged user against a
// real local registry, real newuidmap and real overlay mounts.
package e2e

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/fixture"
	"github.com/rpod/rpod/internal/testworld"
)

var (
	rpodBin string
	regAddr string
	baseDir string
	// baseEnv is the environment of the shared test world; see newWorld for a private one.
	baseEnv []string
	suite   testworld.Suite
)

const buildTags = "exclude_graphdriver_btrfs containers_image_openpgp"

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Geteuid() == 0 {
		fmt.Fprintln(os.Stderr, "e2e: these tests drive rpod as an unprivileged user; run `make test` (as root it creates one and runs the suite as that user)")
		return 1
	}
	var err error
	baseDir, err = os.MkdirTemp("", "rpod-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	reg, err := setup()
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
	} else {
		code = m.Run()
	}
	teardown(baseEnv)
	if reg != nil {
		reg.Stop()
	}
	if code == 0 {
		os.RemoveAll(baseDir)
	} else {
		fmt.Fprintf(os.Stderr, "e2e: left %s for inspection\n", baseDir)
	}
	return code
}

func setup() (*fixture.Registry, error) {
	rpodBin = os.Getenv("RPOD_BIN")
	if rpodBin == "" {
		rpodBin = filepath.Join(baseDir, "rpod")
		// make build, as users build it: with the embedded init step.
		build := exec.Command("make", "-s", "-C", "../..", "build", "BIN="+rpodBin)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build rpod: %w", err)
		}
	}
	suite = testworld.Suite{Bin: rpodBin, Dir: baseDir, Timeout: 3 * time.Minute}
	reg, err := suite.Serve(append([]string{"busybox", "multilayer"}, maliciousImages()...)...)
	if err != nil {
		return reg, err
	}
	regAddr = reg.Addr
	baseEnv, err = suite.MakeWorld(filepath.Join(baseDir, "world"))
	if err != nil {
		return reg, err
	}
	for _, img := range []string{"busybox", "multilayer"} {
		if r := run(baseEnv, nil, "pull", "-q", img); r.Code != 0 {
			return reg, fmt.Errorf("pull %s: %s", img, r.Err)
		}
	}
	return reg, nil
}

// The suite's helpers, by the names its tests use.
type result = testworld.Result

func teardown(env []string) { suite.Teardown(env) }

// newWorld gives a test a private store and namespace; extra overrides env.
func newWorld(t *testing.T, extra ...string) []string {
	t.Helper()
	return suite.NewWorld(t, extra...)
}

func getenv(env []string, key string) string { return testworld.Getenv(env, key) }

func withEnv(env []string, kv ...string) []string { return testworld.WithEnv(env, kv...) }

// run executes rpod with env and optional stdin; it never fails the test itself.
func run(env []string, stdin io.Reader, args ...string) result { return suite.Run(env, stdin, args...) }

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
