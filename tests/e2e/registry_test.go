package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/fixture"
)

// foreignArch is an architecture other than the host's, for platform tests.
func foreignArch() string {
	if goruntime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

var platformImages struct {
	once sync.Once
	err  error
}

// pushPlatformImages puts REG/regcmds-foreign (one manifest, foreign arch) and
// REG/regcmds-multiarch (an index: host arch and foreign arch) in the shared registry.
func pushPlatformImages(t *testing.T) {
	t.Helper()
	platformImages.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		one := filepath.Join(baseDir, "images", "regcmds-foreign")
		multi := filepath.Join(baseDir, "images", "regcmds-multiarch")
		if err := fixture.BuildPlatforms(one, foreignArch()); err != nil {
			platformImages.err = err
			return
		}
		if err := fixture.BuildPlatforms(multi, goruntime.GOARCH, foreignArch()); err != nil {
			platformImages.err = err
			return
		}
		if err := fixture.Push(ctx, one, regAddr+"/regcmds-foreign:latest"); err != nil {
			platformImages.err = err
			return
		}
		platformImages.err = fixture.PushAll(ctx, multi, regAddr+"/regcmds-multiarch:latest")
	})
	if platformImages.err != nil {
		t.Fatal(platformImages.err)
	}
}

func TestRegistryPullPlatform(t *testing.T) {
	pushPlatformImages(t)
	env := newWorld(t)
	host, foreign := "linux/"+goruntime.GOARCH, "linux/"+foreignArch()
	one, multi := regAddr+"/regcmds-foreign", regAddr+"/regcmds-multiarch"

	wantError(t, run(env, nil, "pull", one), 125,
		fmt.Sprintf("image %s:latest has no %s instance (available: %s): use --platform", one, host, foreign))
	foreignID := strings.TrimSpace(ok(t, env, "pull", "-q", "--platform", foreign, one))
	if got := strings.TrimSpace(ok(t, env, "pull", "-q", "--platform", foreign, multi)); got != foreignID {
		t.Errorf("--platform %s of the index gave %s, want the foreign image %s", foreign, got, foreignID)
	}
	hostID := strings.TrimSpace(ok(t, env, "pull", "-q", "busybox"))
	if got := strings.TrimSpace(ok(t, env, "pull", "-q", multi)); got != hostID {
		t.Errorf("pull of the index gave %s, want the host instance, busybox's %s", got, hostID)
	}
	if foreignID == hostID {
		t.Errorf("the foreign image has busybox's id %s", hostID)
	}
	wantError(t, run(env, nil, "pull", "--platform", "linux/s390x", multi), 125,
		fmt.Sprintf("has no linux/s390x instance (available: %s, %s)", host, foreign))
	wantError(t, run(env, nil, "pull", "--platform", "linux", multi), 125, "invalid platform")
	// rpod run pulls through the same check.
	wantError(t, run(newWorld(t), nil, "run", "--rm", one, "true"), 125, "use --platform")
}

func TestRegistryPullUnknownTag(t *testing.T) {
	r := rpod(t, "pull", regAddr+"/busybox:nosuchtag")
	line := errorLine(t, r, 125)
	for _, want := range []string{"manifest unknown", `has no tag "nosuchtag" (tags: latest)`} {
		if !strings.Contains(line, want) {
			t.Errorf("error line %q lacks %q", line, want)
		}
	}
	wantError(t, rpod(t, "pull", regAddr+"/nosuch"), 125, "no repository "+regAddr+"/nosuch")
}

// plainConf writes a registries.conf that does not mark the test registry insecure.
func plainConf(t *testing.T, body string) string {
	t.Helper()
	dir, err := os.MkdirTemp(baseDir, "regconf-")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "registries.conf")
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

func TestRegistryTLSVerify(t *testing.T) {
	env := newWorld(t, "CONTAINERS_REGISTRIES_CONF="+plainConf(t, ""))
	ref := regAddr + "/busybox"
	line := errorLine(t, run(env, nil, "pull", ref), 125)
	for _, want := range []string{"--tls-verify=false", "insecure = true"} {
		if !strings.Contains(line, want) {
			t.Errorf("error line %q lacks %q", line, want)
		}
	}
	ok(t, env, "pull", "-q", "--tls-verify=false", ref)
	dest := regAddr + "/regcmds-tls:latest"
	wantError(t, run(env, nil, "push", ref, dest), 125, "--tls-verify=false")
	ok(t, env, "push", "-q", "--tls-verify=false", ref, dest)
	// --tls-verify (true) wins over insecure = true in registries.conf.
	wantError(t, rpod(t, "pull", "--tls-verify", ref), 125, "HTTP response to HTTPS client")
}

// manifestType returns the Content-Type the test registry serves for repo:tag.
func manifestType(t *testing.T, addr, repo, tag string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s:%s manifest: %s", repo, tag, resp.Status)
	}
	return resp.Header.Get("Content-Type")
}

func TestRegistryPush(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	r := run(env, nil, "push", "busybox", "docker://"+regAddr+"/regcmds-pushed:v1")
	if r.Code != 0 {
		t.Fatalf("push: exit %d: %s", r.Code, r.Err)
	}
	if r.Out != "" {
		t.Errorf("push printed %q on stdout", r.Out)
	}
	for _, want := range []string{"Copying blob sha256:", "Writing manifest"} {
		if !strings.Contains(r.Err, want) {
			t.Errorf("push progress lacks %q:\n%s", want, r.Err)
		}
	}
	// A fresh world pulls what was pushed and runs it.
	fresh := newWorld(t)
	if out := ok(t, fresh, "run", "--rm", regAddr+"/regcmds-pushed:v1", "echo", "pushed"); out != "pushed\n" {
		t.Errorf("run of the pushed image printed %q", out)
	}

	// --format picks the manifest type; -q prints nothing.
	for format, want := range map[string]string{"oci": "application/vnd.oci.image.manifest.v1+json", "v2s2": "application/vnd.docker.distribution.manifest.v2+json"} {
		r := run(env, nil, "push", "-q", "--format", format, "busybox", regAddr+"/regcmds-pushed:"+format)
		if r.Code != 0 || r.Out != "" || r.Err != "" {
			t.Errorf("push -q --format %s: exit %d, stdout %q, stderr %q", format, r.Code, r.Out, r.Err)
		}
		if got := manifestType(t, regAddr, "regcmds-pushed", format); got != want {
			t.Errorf("--format %s pushed a %s manifest, want %s", format, got, want)
		}
	}
	wantError(t, run(env, nil, "push", "--format", "v1", "busybox", regAddr+"/regcmds-pushed:x"), 125, "oci or v2s2")

	// Without a destination the image goes back under its own name.
	ok(t, fresh, "push", "-q", regAddr+"/regcmds-pushed:v1")
	ok(t, env, "push", "-q", "busybox")
	wantError(t, run(env, nil, "push", "nosuchimage"), 125, "nosuchimage")
}

// authWorld starts a registry that wants alice:secret, holding busybox, and a world that trusts it over HTTP.
func authWorld(t *testing.T) (env []string, addr string) {
	t.Helper()
	reg, err := fixture.StartRegistry(filepath.Join(t.TempDir(), "registry"), fixture.WithBasicAuth("alice", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Stop() })
	conf := plainConf(t, fmt.Sprintf("unqualified-search-registries = [%q]\n\n[[registry]]\nlocation = %q\ninsecure = true\n\n[[registry]]\nlocation = %q\ninsecure = true\n", regAddr, regAddr, reg.Addr))
	env = newWorld(t, "CONTAINERS_REGISTRIES_CONF="+conf)
	ok(t, env, "pull", "-q", "busybox")
	wantError(t, run(env, nil, "push", "busybox", reg.Addr+"/busybox"), 125, "authentication required")
	wantError(t, run(env, nil, "push", "--creds", "alice:wrong", "busybox", reg.Addr+"/busybox"), 125, "")
	ok(t, env, "push", "-q", "--creds", "alice:secret", "busybox", reg.Addr+"/busybox")
	return env, reg.Addr
}

func TestRegistryLogin(t *testing.T) {
	env, addr := authWorld(t)
	ref := addr + "/busybox"
	authJSON := filepath.Join(getenv(env, "XDG_RUNTIME_DIR"), "containers", "auth.json")

	wantError(t, run(env, nil, "pull", ref), 125, "authentication required")
	wantError(t, run(env, nil, "pull", ref), 125, "rpod login "+addr)
	ok(t, env, "pull", "-q", "--creds", "alice:secret", ref)

	wantError(t, run(env, nil, "login", "-u", "alice", "-p", "wrong", addr), 125, "invalid username/password")
	if _, err := os.Stat(authJSON); err == nil {
		t.Errorf("a refused login wrote %s", authJSON)
	}

	if out := ok(t, env, "login", "-u", "alice", "-p", "secret", addr); out != "Login Succeeded!\n" {
		t.Errorf("login printed %q", out)
	}
	if data, err := os.ReadFile(authJSON); err != nil || !strings.Contains(string(data), addr) {
		t.Errorf("auth.json after login: %q, %v", data, err)
	}
	ok(t, env, "pull", "-q", ref)

	if out := ok(t, env, "logout", addr); !strings.Contains(out, "Removed login credentials for "+addr) {
		t.Errorf("logout printed %q", out)
	}
	wantError(t, run(env, nil, "pull", ref), 125, "authentication required")
	wantError(t, run(env, nil, "logout", addr), 125, "not logged into "+addr)

	// --password-stdin.
	r := run(env, strings.NewReader("secret\n"), "login", "-u", "alice", "--password-stdin", addr)
	if r.Code != 0 || r.Out != "Login Succeeded!\n" {
		t.Fatalf("login --password-stdin: exit %d stdout %q stderr %q", r.Code, r.Out, r.Err)
	}
	ok(t, env, "pull", "-q", ref)
	wantError(t, run(env, strings.NewReader("wrong\n"), "login", "-u", "alice", "--password-stdin", addr), 125, "invalid username/password")
	ok(t, env, "pull", "-q", ref) // a refused login keeps the saved credentials
	ok(t, env, "logout", "-a")
	wantError(t, run(env, nil, "pull", ref), 125, "authentication required")
	wantError(t, run(env, nil, "login", "-p", "secret", addr), 125, "-u")
	wantError(t, run(env, nil, "pull", "--creds", "alice:wrong", ref), 125, "invalid username/password")

	// A registry not marked insecure needs --tls-verify=false to log in over plain HTTP.
	strict := withEnv(env, "CONTAINERS_REGISTRIES_CONF="+plainConf(t, ""))
	wantError(t, run(strict, nil, "login", "-u", "alice", "-p", "secret", addr), 125, "--tls-verify=false")
	ok(t, strict, "login", "--tls-verify=false", "-u", "alice", "-p", "secret", addr)
	ok(t, strict, "pull", "-q", "--tls-verify=false", ref)
}

func TestRegistryAuthFile(t *testing.T) {
	env, addr := authWorld(t)
	ref := addr + "/busybox"
	file := filepath.Join(t.TempDir(), "my-auth.json")
	ok(t, env, "login", "--authfile", file, "-u", "alice", "-p", "secret", addr)
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("login --authfile: %v", err)
	}
	if _, err := os.Stat(filepath.Join(getenv(env, "XDG_RUNTIME_DIR"), "containers", "auth.json")); err == nil {
		t.Errorf("login --authfile also wrote the default auth.json")
	}
	wantError(t, run(env, nil, "pull", ref), 125, "authentication required")
	ok(t, env, "pull", "-q", "--authfile", file, ref)
	// REGISTRY_AUTH_FILE is the default --authfile.
	ok(t, withEnv(env, "REGISTRY_AUTH_FILE="+file), "pull", "-q", ref)
	ok(t, withEnv(env, "REGISTRY_AUTH_FILE="+file), "logout", addr)
	wantError(t, run(env, nil, "pull", "--authfile", file, ref), 125, "authentication required")
}

// blobLines are the off-terminal progress lines: a start and a done line per blob.
var (
	blobStart = regexp.MustCompile(`(?m)^Copying blob (sha256:[0-9a-f]{12})$`)
	blobDone  = regexp.MustCompile(`(?m)^Copying blob (sha256:[0-9a-f]{12}) done  [0-9.]+(B|KiB|MiB)$`)
)

func TestRegistryProgressLines(t *testing.T) {
	env := newWorld(t)
	r := run(env, nil, "pull", regAddr+"/multilayer")
	if r.Code != 0 {
		t.Fatalf("pull: exit %d: %s", r.Code, r.Err)
	}
	starts, dones := blobStart.FindAllStringSubmatch(r.Err, -1), blobDone.FindAllStringSubmatch(r.Err, -1)
	if len(starts) != 3 || len(dones) != 3 {
		t.Fatalf("want a start and a done line for each of 3 layers, got %d and %d:\n%s", len(starts), len(dones), r.Err)
	}
	for _, want := range []string{"Trying to pull " + regAddr + "/multilayer", "Copying config sha256:", "Writing manifest"} {
		if !strings.Contains(r.Err, want) {
			t.Errorf("pull progress lacks %q:\n%s", want, r.Err)
		}
	}
	// Again: every layer is there already.
	if again := run(env, nil, "pull", regAddr+"/multilayer"); strings.Count(again.Err, "skipped: already exists") != 3 {
		t.Errorf("second pull: want 3 blobs skipped:\n%s", again.Err)
	}
	for _, l := range strings.Split(strings.TrimSpace(r.Err), "\n") {
		if strings.Contains(l, "\x1b") || strings.Contains(l, "\r") {
			t.Errorf("terminal control characters off a terminal: %q", l)
		}
	}
	// Pushing elsewhere reports the same way.
	r = run(env, nil, "push", regAddr+"/multilayer", regAddr+"/regcmds-progress:latest")
	if r.Code != 0 {
		t.Fatalf("push: exit %d: %s", r.Code, r.Err)
	}
	if n := len(blobDone.FindAllString(r.Err, -1)) + strings.Count(r.Err, "skipped: already exists"); n != 3 {
		t.Errorf("push: %d blobs done or skipped, want 3:\n%s", n, r.Err)
	}
}

func TestRegistryProgressTTY(t *testing.T) {
	env := withEnv(newWorld(t), "TERM=xterm")
	master, slave := openPTY(t)
	setWinsize(t, slave, 30, 120)
	cmd := exec.Command(rpodBin, "pull", regAddr+"/multilayer")
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	out := readMaster(master)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("pull on a terminal: %v\n%q", err, out.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("pull on a terminal still runs; terminal:\n%q", out.String())
	}
	out.waitClosed(t)
	text := out.String()
	bar := regexp.MustCompile(`Copying blob sha256:[0-9a-f]{12}[^\n]*?[0-9.]+(B|KiB|MiB)`)
	if n := len(bar.FindAllString(text, -1)); n < 3 {
		t.Errorf("want a bar with a size for each of 3 layers on the terminal, found %d:\n%q", n, text)
	}
	if !strings.Contains(text, "Writing manifest") {
		t.Errorf("no Writing manifest on the terminal:\n%q", text)
	}
}

func TestRegistryShortNameAlias(t *testing.T) {
	conf := plainConf(t, fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", regAddr))
	dropIn := filepath.Join(filepath.Dir(conf), "registries.conf.d")
	if err := os.Mkdir(dropIn, 0o755); err != nil {
		t.Fatal(err)
	}
	alias := fmt.Sprintf("[aliases]\n\"myalias\" = %q\n", regAddr+"/busybox")
	if err := os.WriteFile(filepath.Join(dropIn, "50-alias.conf"), []byte(alias), 0o644); err != nil {
		t.Fatal(err)
	}
	env := newWorld(t, "CONTAINERS_REGISTRIES_CONF="+conf)
	r := run(env, nil, "pull", "myalias")
	if r.Code != 0 {
		t.Fatalf("pull myalias: exit %d: %s", r.Code, r.Err)
	}
	if !strings.Contains(r.Err, "Trying to pull "+regAddr+"/busybox:latest") {
		t.Errorf("pull myalias did not resolve to %s/busybox:\n%s", regAddr, r.Err)
	}
	if out := ok(t, env, "run", "--rm", "myalias", "echo", "aliased"); out != "aliased\n" {
		t.Errorf("run myalias printed %q", out)
	}
	// rpod keeps what the configuration says between commands
	// (image/shortcache.go): the next command sees a changed drop-in.
	moved := fmt.Sprintf("[aliases]\n\"myalias\" = %q\n", regAddr+"/not-stored")
	if err := os.WriteFile(filepath.Join(dropIn, "50-alias.conf"), []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(env, nil, "image", "exists", "myalias"); r.Code != 1 {
		t.Errorf("image exists myalias, its alias moved to an image not stored: exit %d, want 1 %s", r.Code, r.Err)
	}
}

func TestRegistryShortNameEnforcing(t *testing.T) {
	other := "127.0.0.1:1"
	conf := plainConf(t, fmt.Sprintf("short-name-mode = \"enforcing\"\nunqualified-search-registries = [%q, %q]\n\n[[registry]]\nlocation = %q\ninsecure = true\n", regAddr, other, regAddr))
	env := newWorld(t, "CONTAINERS_REGISTRIES_CONF="+conf)
	r := run(env, nil, "pull", "busybox")
	line := errorLine(t, r, 125)
	for _, want := range []string{"enforcing", regAddr + "/busybox:latest", other + "/busybox:latest"} {
		if !strings.Contains(line, want) {
			t.Errorf("error line %q lacks %q", line, want)
		}
	}
	// A full name needs no choice.
	ok(t, env, "pull", "-q", regAddr+"/busybox")
}
