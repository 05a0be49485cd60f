package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpod/rpod/internal/fixture"
)

func TestPullRegistryErrorsNameTheFix(t *testing.T) {
	reg, err := fixture.StartRegistry(filepath.Join(baseDir, "auth-registry"), fixture.WithBasicAuth("alice", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Stop()
	ref := "docker://" + reg.Addr + "/busybox:latest"

	// Not marked insecure: the registry answers plain HTTP to rpod's HTTPS.
	wantError(t, rpod(t, "pull", ref), 125, "insecure = true")

	conf := filepath.Join(baseDir, "auth-registries.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", reg.Addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := withEnv(baseEnv, "CONTAINERS_REGISTRIES_CONF="+conf)
	// The registry answers 401 without credentials: the one error line says so.
	wantError(t, run(env, nil, "pull", ref), 125, "authentication required")
	if r := rpod(t, "run", "--rm", "busybox", "true"); r.Code != 0 {
		t.Errorf("store unusable after refused pulls: %s", r.Err)
	}
}
