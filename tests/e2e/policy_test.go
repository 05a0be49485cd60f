package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPullHonoursPolicy(t *testing.T) {
	env := newWorld(t)
	policy := filepath.Join(getenv(env, "XDG_CONFIG_HOME"), "reject.json")
	if err := os.WriteFile(policy, []byte(`{"default": [{"type": "reject"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(withEnv(env, "CONTAINERS_POLICY_JSON="+policy), nil, "pull", "busybox")
	wantError(t, r, 125, "rejected by policy")
	if out := ok(t, env, "images", "-q"); out != "" {
		t.Errorf("a rejected pull left images behind:\n%s", out)
	}
	// The user's own policy.json is read too.
	os.MkdirAll(filepath.Join(getenv(env, "XDG_CONFIG_HOME"), "containers"), 0o700)
	os.Rename(policy, filepath.Join(getenv(env, "XDG_CONFIG_HOME"), "containers", "policy.json"))
	wantError(t, run(env, nil, "pull", "busybox"), 125, "rejected by policy")
}
