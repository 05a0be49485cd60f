// Package e2e drives the built rpod binary as an unprivileged user against a
// real local registry, real newuidmap and real overlay mounts.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/fixture"
)

var (
	rpodBin string
	regAddr string
	baseDir string
	// baseEnv is the environment of the shared test world; see newWorld for a private one.
	baseEnv []string
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
		build := exec.Command("go", "build", "-tags", buildTags, "-o", rpodBin, "../../cmd/rpod")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build rpod: %w", err)
		}
	}
	reg, err := fixture.StartRegistry(filepath.Join(baseDir, "registry"))
	if err != nil {
		return nil, err
	}
	regAddr = reg.Addr
	ctx := context.Background()
	for name, build := range map[string]func(string) error{"busybox": fixture.BuildBusybox, "multilayer": fixture.BuildMultilayer} {
		dir := filepath.Join(baseDir, "images", name)
		if err := build(dir); err != nil {
			return reg, fmt.Errorf("build %s: %w", name, err)
		}
		if err := fixture.Push(ctx, dir, regAddr+"/"+name+":latest"); err != nil {
			return reg, fmt.Errorf("push %s: %w", name, err)
		}
	}
	conf := filepath.Join(baseDir, "registries.conf")
	regconf := fmt.Sprintf("unqualified-search-registries = [%q]\n\n[[registry]]\nlocation = %q\ninsecure = true\n", regAddr, regAddr)
	if err := os.WriteFile(conf, []byte(regconf), 0o644); err != nil {
		return reg, err
	}
	baseEnv, err = makeWorld(filepath.Join(baseDir, "world"))
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

// makeWorld creates the directories of one rpod user world: its own store,
// runtime directory (and so its own pause process) and config.
func makeWorld(dir string) ([]string, error) {
	for _, d := range []string{"home", "run", "data", "config"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	return []string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"CONTAINERS_REGISTRIES_CONF=" + filepath.Join(baseDir, "registries.conf"),
		"PATH=" + os.Getenv("PATH"),
		"LANG=C",
	}, nil
}

// teardown stops a world's pause process and removes its store, which holds
// files owned by subordinate ids that only the namespace can delete.
func teardown(env []string) {
	if env == nil {
		return
	}
	run(env, nil, "rm", "-af")
	data := getenv(env, "XDG_DATA_HOME")
	run(env, nil, "unshare", "rm", "-rf", data+"/rpod")
	run(env, nil, "system", "migrate")
}

// newWorld gives a test a private store and namespace; extra overrides env.
func newWorld(t *testing.T, extra ...string) []string {
	t.Helper()
	dir, err := os.MkdirTemp(baseDir, "world-")
	if err != nil {
		t.Fatal(err)
	}
	env, err := makeWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	env = withEnv(env, extra...)
	t.Cleanup(func() { teardown(env) })
	return env
}

func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// withEnv returns env with each K=V of kv set (an entry "K=" with nothing
// after it removes K).
func withEnv(env []string, kv ...string) []string {
	out := append([]string{}, env...)
	for _, e := range kv {
		k, v, _ := strings.Cut(e, "=")
		kept := out[:0]
		for _, o := range out {
			if !strings.HasPrefix(o, k+"=") {
				kept = append(kept, o)
			}
		}
		out = kept
		if v != "" {
			out = append(out, e)
		}
	}
	return out
}

type result struct {
	Out, Err string
	Code     int
}

// run executes rpod with env and optional stdin; it never fails the test itself.
func run(env []string, stdin io.Reader, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rpodBin, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{Out: out.String(), Err: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		r.Code = -1
		r.Err += err.Error()
	}
	return r
}

// rpod runs rpod in the shared world.
func rpod(t *testing.T, args ...string) result {
	t.Helper()
	return run(baseEnv, nil, args...)
}

// ok runs rpod in env and fails the test unless it exits 0; it returns stdout.
func ok(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := run(env, nil, args...)
	if r.Code != 0 {
		t.Fatalf("rpod %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Out, r.Err)
	}
	return r.Out
}

// wantError checks podman's contract for a failure: the exit code, and a
// stderr whose only Error line contains want.
func wantError(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.Code != code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.Code, code, r.Out, r.Err)
	}
	var errLines []string
	for _, l := range strings.Split(r.Err, "\n") {
		if strings.HasPrefix(l, "Error: ") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 {
		t.Errorf("want exactly one Error: line on stderr, got %d:\n%s", len(errLines), r.Err)
		return
	}
	if !strings.Contains(errLines[0], want) {
		t.Errorf("error line %q does not contain %q", errLines[0], want)
	}
}
