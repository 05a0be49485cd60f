package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

// httpdScript serves a two-byte index.html from busybox httpd in the foreground.
const httpdScript = "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p %d -h /www"

// hostHTTP measures the request rate of the host's busybox httpd on loopback: the limit.
func (b *bench) hostHTTP(ctx context.Context) *row {
	r := &row{name: "host loopback (busybox httpd)", isLimit: true}
	port, err := freePort()
	if err != nil {
		r.why = err.Error()
		return r
	}
	www := filepath.Join(b.w.Dir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		r.why = err.Error()
		return r
	}
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte("ok\n"), 0o644); err != nil {
		r.why = err.Error()
		return r
	}
	cmd := exec.CommandContext(ctx, "/bin/busybox", "httpd", "-f", "-p", fmt.Sprintf("127.0.0.1:%d", port), "-h", www)
	r.argv = "busybox httpd -f -p 127.0.0.1:PORT -h DIR"
	if err := cmd.Start(); err != nil {
		r.why = err.Error()
		return r
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	r.value, r.why = b.requestRate(ctx, port)
	return r
}

// httpRate measures the request rate through a published port to busybox httpd in a container.
func (b *bench) httpRate(ctx context.Context, be *backend) *row {
	r := &row{name: be.name, isDefault: be.isDefault}
	if be.podman {
		r.name = "podman (rootlessport)"
	}
	if r.why = b.why(be); r.why != "" {
		return r
	}
	port, err := freePort()
	if err != nil {
		r.why = err.Error()
		return r
	}
	name := fmt.Sprintf("httpd-%d", port)
	argv := append(append(b.engine(be), "-d", "--name", name, "-p", fmt.Sprintf("%d:%d", port, 8080)), be.published...)
	argv = append(argv, "busybox", "sh", "-c", fmt.Sprintf(httpdScript, 8080))
	r.argv = shortArgv(argv)
	if out, err := b.w.Output(ctx, argv[0], argv[1:]...); err != nil {
		r.why = fmt.Sprintf("run -d: %v: %s", err, world.Tail(out, 400))
		return r
	}
	defer b.remove(be, name)
	r.value, r.why = b.requestRate(ctx, port)
	return r
}

// requestRate waits for the first successful GET of 127.0.0.1:port, then
// sends GETs one after the other, each on a new connection, for b.secs
// seconds and returns the completed requests per second.
func (b *bench) requestRate(ctx context.Context, port int) (float64, string) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := fmt.Sprintf("http://127.0.0.1:%d/index.html", port)
	get := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := get()
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return 0, "never answered: " + err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	n, failed := 0, 0
	start := time.Now()
	end := start.Add(time.Duration(b.secs) * time.Second)
	var lastErr error
	for time.Now().Before(end) && ctx.Err() == nil {
		if err := get(); err != nil {
			failed++
			lastErr = err
			continue
		}
		n++
	}
	if failed > n/100 {
		return 0, fmt.Sprintf("%d of %d requests failed, last: %v", failed, n+failed, lastErr)
	}
	return float64(n) / time.Since(start).Seconds(), ""
}
