package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// skopeo writes podman's rootless store (XDG_DATA_HOME/containers/storage);
// rpod keeps its own and copies out of podman's through containers-storage:.
func TestPullFromPodmanStore(t *testing.T) {
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		t.Fatal("skopeo is not installed: make test as root installs it")
	}
	env := newWorld(t)
	ref := regAddr + "/multilayer:latest"
	cmd := exec.Command(skopeo, "copy", "--quiet", "--src-tls-verify=false", "docker://"+ref, "containers-storage:"+ref)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy into podman's store: %v\n%s", err, out)
	}
	defer func() {
		// skopeo's files belong to subordinate ids too: remove them in rpod's namespace.
		ok(t, env, "unshare", "rm", "-rf", filepath.Join(getenv(env, "XDG_DATA_HOME"), "containers"))
	}()

	if out := ok(t, env, "images", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("rpod's own store already lists images:\n%s", out)
	}
	id := strings.TrimSpace(ok(t, env, "pull", "-q", "containers-storage:"+ref))
	if len(id) != 64 {
		t.Errorf("pull containers-storage: printed %q, want the image id", id)
	}
	out := ok(t, env, "run", "--rm", ref, "sh", "-c", "id -un; cat /data/kept.txt; test -e /data/deleted.txt || echo whiteout-kept")
	if out != "app\nkept\nwhiteout-kept\n" {
		t.Errorf("image copied from podman's store runs as %q", out)
	}
}
