package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// flakyRegistry fronts the test registry and answers 500 to the first
// failures manifest requests, as a registry having a bad moment does.
func flakyRegistry(t *testing.T, failures int64) (addr string, conf string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: regAddr})
	var failed atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") && failed.Add(1) <= failures {
			http.Error(w, "having a bad moment", http.StatusInternalServerError)
			return
		}
		proxy.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	addr = ln.Addr().String()
	return addr, insecureRegistryConf(t, addr)
}

// insecureRegistryConf writes a registries.conf that reaches addr over
// plain HTTP, and returns its path.
func insecureRegistryConf(t *testing.T, addr string) string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

func TestPullRetriesAFailingRegistry(t *testing.T) {
	addr, conf := flakyRegistry(t, 2)
	env := newWorld(t, "CONTAINERS_REGISTRIES_CONF="+conf)
	r := run(env, nil, "pull", "--retry-delay", "10ms", addr+"/busybox")
	if r.Code != 0 {
		t.Fatalf("pull through two 500s: exit %d: %s", r.Code, r.Err)
	}
	if n := strings.Count(r.Err, "Retrying in"); n != 2 {
		t.Errorf("want 2 retry notices, got %d:\n%s", n, r.Err)
	}
	ok(t, env, "run", "--rm", addr+"/busybox", "true")
}

func TestPullGivesUpOnABrokenRegistry(t *testing.T) {
	addr, conf := flakyRegistry(t, 1000)
	env := newWorld(t, "CONTAINERS_REGISTRIES_CONF="+conf)
	r := run(env, nil, "pull", "--retry", "3", "--retry-delay", "10ms", addr+"/busybox")
	wantError(t, r, 125, "gave up after 3 attempts")
	if !strings.Contains(r.Err, "500") {
		t.Errorf("the error does not say what the registry answered:\n%s", r.Err)
	}
	if out := ok(t, env, "images", "-q"); out != "" {
		t.Errorf("a failed pull left images:\n%s", out)
	}
}
