package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Tests of load, save, import, export and pull from non-registry transports.

// archEntry is one entry of a tar made by hand.
type archEntry struct {
	name, link string
	typ        byte
	mode       int64
	uid        int
	body       []byte
}

func archFile(name, body string) archEntry {
	return archEntry{name: name, typ: tar.TypeReg, mode: 0o644, body: []byte(body)}
}

func archTar(t *testing.T, entries []archEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.uid, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if h.Mode == 0 {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(e.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// busyboxRootfs is a minimal runnable root filesystem: the host's static busybox and sh.
func busyboxRootfs(t *testing.T, extra ...archEntry) []archEntry {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("no static busybox: %v", err)
	}
	e := []archEntry{
		{name: "bin/", typ: tar.TypeDir},
		{name: "bin/busybox", typ: tar.TypeReg, mode: 0o755, body: bb},
		{name: "bin/sh", typ: tar.TypeSymlink, link: "busybox"},
		{name: "etc/", typ: tar.TypeDir},
		archFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/:/bin/sh\n"),
		archFile("etc/group", "root:x:0:\n"),
		{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
	}
	return append(e, extra...)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// handImage is one image of a docker-archive made by hand.
type handImage struct {
	tags   []string
	layers [][]byte
	config map[string]any
}

// dockerArchive writes a docker-archive (manifest.json, config, layer tars) by hand.
func dockerArchive(t *testing.T, file string, imgs ...handImage) {
	t.Helper()
	var entries []archEntry
	var manifest []map[string]any
	for _, img := range imgs {
		var diffIDs, layerNames []string
		for _, l := range img.layers {
			name := sha(l) + ".tar"
			diffIDs = append(diffIDs, "sha256:"+sha(l))
			layerNames = append(layerNames, name)
			entries = append(entries, archEntry{name: name, typ: tar.TypeReg, mode: 0o644, body: l})
		}
		cfg := map[string]any{"architecture": goArch(), "os": "linux", "config": img.config,
			"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}}
		cb, _ := json.Marshal(cfg)
		entries = append(entries, archEntry{name: sha(cb) + ".json", typ: tar.TypeReg, mode: 0o644, body: cb})
		manifest = append(manifest, map[string]any{"Config": sha(cb) + ".json", "RepoTags": img.tags, "Layers": layerNames})
	}
	mb, _ := json.Marshal(manifest)
	entries = append(entries, archEntry{name: "manifest.json", typ: tar.TypeReg, mode: 0o644, body: mb})
	if err := os.WriteFile(file, archTar(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ociArchive writes a one-image oci-archive by hand, named by the ref.name annotation.
func ociArchive(t *testing.T, file, refName string, layer []byte, config map[string]any) {
	t.Helper()
	cfg := map[string]any{"architecture": goArch(), "os": "linux", "config": config,
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + sha(layer)}}}
	cb, _ := json.Marshal(cfg)
	man := map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(cb), "size": len(cb)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + sha(layer), "size": len(layer)}}}
	mb, _ := json.Marshal(man)
	idx := map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(mb), "size": len(mb),
		"annotations": map[string]string{"org.opencontainers.image.ref.name": refName}}}}
	ib, _ := json.Marshal(idx)
	entries := []archEntry{
		archFile("oci-layout", `{"imageLayoutVersion":"1.0.0"}`),
		archFile("index.json", string(ib)),
		{name: "blobs/", typ: tar.TypeDir},
		{name: "blobs/sha256/", typ: tar.TypeDir},
		archFile("blobs/sha256/"+sha(cb), string(cb)),
		archFile("blobs/sha256/"+sha(mb), string(mb)),
		archFile("blobs/sha256/"+sha(layer), string(layer)),
	}
	if err := os.WriteFile(file, archTar(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
}

func goArch() string { return runtime.GOARCH }

// tarFiles lists a tar's entries and the contents of its regular files.
func tarFiles(t *testing.T, b []byte) map[string]*tar.Header {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	out := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		body, _ := io.ReadAll(tr)
		h.PAXRecords = map[string]string{"body": string(body)}
		out[strings.TrimPrefix(filepath.Clean("/"+h.Name), "/")] = h
	}
}

// loadedNames returns the names of podman's "Loaded image: X" lines.
func loadedNames(out string) []string {
	var names []string
	for _, l := range strings.Split(out, "\n") {
		if n, ok := strings.CutPrefix(l, "Loaded image: "); ok {
			names = append(names, n)
		}
	}
	return names
}

// imageIDs is `rpod images -q`, sorted.
func imageIDs(t *testing.T, env []string) []string {
	t.Helper()
	ids := strings.Fields(ok(t, env, "images", "-q"))
	slices.Sort(ids)
	return ids
}

// checkMultilayer runs the multilayer image and checks its whiteout, opaque directory and hard link.
func checkMultilayer(t *testing.T, env []string, name string) {
	t.Helper()
	r := run(env, nil, "run", "--rm", name, "sh", "-c", `ls /data; echo --; ls /opaque; echo --; stat -c %i /hl/a /hl/b; cat /hl/b; stat -c "%a %u" /usr/local/bin/suidfile /home/app/owned.txt`)
	if r.Code != 0 {
		t.Fatalf("run %s: exit %d: %s", name, r.Code, r.Err)
	}
	if strings.Contains(r.Err, "Trying to pull") {
		t.Errorf("run pulled %s instead of using the loaded image:\n%s", name, r.Err)
	}
	parts := strings.Split(r.Out, "--\n")
	if len(parts) != 3 || parts[0] != "kept.txt\nlayer3.txt\n" || parts[1] != "new\n" {
		t.Fatalf("whiteout or opaque directory lost:\n%s", r.Out)
	}
	rest := strings.Fields(parts[2])
	if len(rest) != 7 || rest[0] != rest[1] || rest[2] != "linked" || rest[3] != "4755" || rest[4] != "0" || rest[5] != "644" || rest[6] != "1000" {
		t.Errorf("hard link, setuid or ownership lost:\n%s", parts[2])
	}
}

func TestArchiveSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "two.tar")
	ok(t, baseEnv, "save", "-q", "-o", file, "busybox", "multilayer")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct{ RepoTags []string }
	if err := json.Unmarshal([]byte(tarFiles(t, b)["manifest.json"].PAXRecords["body"]), &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(manifest) != 2 || len(manifest[0].RepoTags) != 1 || manifest[0].RepoTags[0] != regAddr+"/busybox:latest" {
		t.Fatalf("manifest.json lists %+v, want busybox and multilayer", manifest)
	}
	// A new world stands for rmi: the images exist only in the archive.
	env := newWorld(t)
	r := run(env, nil, "load", "-i", file)
	if r.Code != 0 {
		t.Fatalf("load: exit %d: %s", r.Code, r.Err)
	}
	want := []string{regAddr + "/busybox:latest", regAddr + "/multilayer:latest"}
	if got := loadedNames(r.Out); !slices.Equal(got, want) {
		t.Errorf("load printed %q, want Loaded image: lines for %q", r.Out, want)
	}
	if !strings.Contains(r.Err, "Copying blob") {
		t.Errorf("load without -q printed no progress:\n%s", r.Err)
	}
	out := ok(t, env, "images")
	for _, n := range []string{"/busybox", "/multilayer"} {
		if !strings.Contains(out, n) {
			t.Errorf("images after load misses %s:\n%s", n, out)
		}
	}
	checkMultilayer(t, env, regAddr+"/multilayer:latest")
	if out := ok(t, env, "run", "--rm", "busybox", "echo", "loaded"); out != "loaded\n" {
		t.Errorf("run of loaded busybox printed %q", out)
	}
}

func TestArchiveSaveStdoutLoadStdin(t *testing.T) {
	r := run(baseEnv, nil, "save", "busybox")
	if r.Code != 0 {
		t.Fatalf("save to stdout: exit %d: %s", r.Code, r.Err)
	}
	if _, ok := tarFiles(t, []byte(r.Out))["manifest.json"]; !ok {
		t.Fatal("save wrote no docker-archive to stdout")
	}
	env := newWorld(t)
	l := run(env, strings.NewReader(r.Out), "load", "-q")
	if l.Code != 0 {
		t.Fatalf("load from stdin: exit %d: %s", l.Code, l.Err)
	}
	if got := loadedNames(l.Out); !slices.Equal(got, []string{regAddr + "/busybox:latest"}) {
		t.Errorf("load printed %q", l.Out)
	}
	if strings.Contains(l.Err, "Copying") {
		t.Errorf("load -q printed progress:\n%s", l.Err)
	}
	// A gzip-compressed archive loads too, as with podman.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(r.Out))
	zw.Close()
	env2 := newWorld(t)
	if l := run(env2, &gz, "load"); l.Code != 0 || len(loadedNames(l.Out)) != 1 {
		t.Errorf("load of a gzipped archive: exit %d\n%s\n%s", l.Code, l.Out, l.Err)
	}
}

func TestArchiveSaveRefusesTerminal(t *testing.T) {
	_, slave := openPTY(t)
	for _, args := range [][]string{{"save", "busybox"}, {"export", "nosuch"}} {
		cmd := exec.Command(rpodBin, args...)
		cmd.Env = baseEnv
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = slave, &errb
		err := cmd.Run()
		r := result{Err: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.Code = ee.ExitCode()
		}
		wantError(t, r, 125, "refusing to "+args[0]+" to terminal")
	}
}

func TestArchiveOCIFormats(t *testing.T) {
	dir := t.TempDir()
	oa := filepath.Join(dir, "ml-oci.tar")
	ok(t, baseEnv, "save", "-q", "--format", "oci-archive", "-o", oa, "multilayer")
	files := tarFiles(t, mustRead(t, oa))
	if _, ok := files["index.json"]; !ok {
		t.Fatalf("oci-archive has no index.json: %v", keys(files))
	}
	if _, ok := files["oci-layout"]; !ok {
		t.Fatalf("oci-archive has no oci-layout")
	}
	env := newWorld(t)
	r := run(env, nil, "load", "-q", "-i", oa)
	if r.Code != 0 {
		t.Fatalf("load oci-archive: exit %d: %s", r.Code, r.Err)
	}
	if got := loadedNames(r.Out); !slices.Equal(got, []string{regAddr + "/multilayer:latest"}) {
		t.Errorf("load printed %q", r.Out)
	}
	checkMultilayer(t, env, "multilayer")

	od := filepath.Join(dir, "oci-dir")
	ok(t, baseEnv, "save", "-q", "--format", "oci-dir", "-o", od, "busybox")
	if _, err := os.Stat(filepath.Join(od, "index.json")); err != nil {
		t.Errorf("oci-dir: %v", err)
	}
	wantError(t, rpod(t, "save", "--format", "oci-archive", "-o", filepath.Join(dir, "x.tar"), "busybox", "multilayer"), 125, "only a docker-archive holds several images")
	wantError(t, rpod(t, "save", "--format", "oci-dir", "busybox"), 125, "name it with -o")
	wantError(t, rpod(t, "save", "--format", "zip", "-o", filepath.Join(dir, "x.zip"), "busybox"), 125, "unknown format")
	wantError(t, rpod(t, "save", "-o", filepath.Join(dir, "x.tar"), "nosuchimage"), 125, "nosuchimage")
	wantError(t, rpod(t, "save", "-o", "/proc/x.tar", "busybox"), 125, "save to /proc/x.tar")
	if _, err := os.Stat(filepath.Join(dir, "x.tar")); err == nil {
		t.Error("a failed save left x.tar behind")
	}
}

func mustRead(t *testing.T, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keys(m map[string]*tar.Header) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

func TestArchiveLoadHandMade(t *testing.T) {
	dir := t.TempDir()
	layer := archTar(t, busyboxRootfs(t, archFile("hello", "from a hand-made archive\n")))
	extra := archTar(t, []archEntry{archFile("second", "second image\n")})
	file := filepath.Join(dir, "hand.tar")
	dockerArchive(t, file,
		handImage{tags: []string{"localhost/handmade:v1", "localhost/handmade:v2"}, layers: [][]byte{layer}, config: map[string]any{"Cmd": []string{"/bin/busybox", "cat", "/hello"}}},
		handImage{layers: [][]byte{layer, extra}, config: map[string]any{"Cmd": []string{"/bin/busybox", "cat", "/second"}}},
	)
	env := newWorld(t)
	r := run(env, nil, "load", "-q", "-i", file)
	if r.Code != 0 {
		t.Fatalf("load: exit %d: %s", r.Code, r.Err)
	}
	names := loadedNames(r.Out)
	if len(names) != 3 || names[0] != "localhost/handmade:v1" || names[1] != "localhost/handmade:v2" || !strings.HasPrefix(names[2], "sha256:") {
		t.Fatalf("load printed %q, want both tags of the first image and the id of the untagged one", r.Out)
	}
	if out := ok(t, env, "run", "--rm", "localhost/handmade:v2"); out != "from a hand-made archive\n" {
		t.Errorf("tagged image ran %q", out)
	}
	if out := ok(t, env, "run", "--rm", strings.TrimPrefix(names[2], "sha256:")[:12]); out != "second image\n" {
		t.Errorf("untagged image ran %q", out)
	}

	oa := filepath.Join(dir, "hand-oci.tar")
	ociArchive(t, oa, "handoci:v3", layer, map[string]any{"Cmd": []string{"/bin/busybox", "cat", "/hello"}})
	r = run(env, nil, "load", "-q", "-i", oa)
	if r.Code != 0 {
		t.Fatalf("load hand-made oci-archive: exit %d: %s", r.Code, r.Err)
	}
	// As podman: a name without a registry is under localhost/.
	if got := loadedNames(r.Out); !slices.Equal(got, []string{"localhost/handoci:v3"}) {
		t.Errorf("load printed %q", r.Out)
	}
	if out := ok(t, env, "run", "--rm", "localhost/handoci:v3"); out != "from a hand-made archive\n" {
		t.Errorf("oci image ran %q", out)
	}
}

func TestArchiveImport(t *testing.T) {
	dir := t.TempDir()
	rootfs := archTar(t, busyboxRootfs(t, archEntry{name: "work/", typ: tar.TypeDir, mode: 0o777}, archFile("work/note", "imported\n")))
	plain := filepath.Join(dir, "rootfs.tar")
	os.WriteFile(plain, rootfs, 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(rootfs)
	zw.Close()
	gzFile := filepath.Join(dir, "rootfs.tar.gz")
	os.WriteFile(gzFile, gz.Bytes(), 0o644)

	env := newWorld(t)
	r := run(env, nil, "import", "-q",
		"--change", "ENV GREETING=hello there",
		"--change", `CMD ["sh","-c","echo $GREETING; pwd; id -u; cat note"]`,
		"--change", "WORKDIR /work",
		"--change", "USER 1000",
		"-m", "my import", plain, "imported:v1")
	if r.Code != 0 {
		t.Fatalf("import: exit %d: %s", r.Code, r.Err)
	}
	id := strings.TrimSpace(r.Out)
	if len(id) != 64 {
		t.Fatalf("import printed %q, want the image id", r.Out)
	}
	if out := ok(t, env, "images"); !strings.Contains(out, "localhost/imported") || !strings.Contains(out, id[:12]) {
		t.Errorf("images does not list localhost/imported:v1 %s:\n%s", id[:12], out)
	}
	if out := ok(t, env, "run", "--rm", "localhost/imported:v1"); out != "hello there\n/work\n1000\nimported\n" {
		t.Errorf("imported image ran %q", out)
	}

	// The shell form of CMD, gzip input, stdin and no name.
	r = run(env, bytes.NewReader(gz.Bytes()), "import", "-q", "--change", "CMD cat /work/note", "-")
	if r.Code != 0 {
		t.Fatalf("import from stdin: exit %d: %s", r.Code, r.Err)
	}
	id2 := strings.TrimSpace(r.Out)
	if out := ok(t, env, "run", "--rm", id2[:12]); out != "imported\n" {
		t.Errorf("image imported from stdin ran %q", out)
	}

	// An http URL, served here on 127.0.0.1.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/rootfs.tar.gz" {
			http.NotFound(w, req)
			return
		}
		w.Write(gz.Bytes())
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	r = run(env, nil, "import", "--change", "ENTRYPOINT [\"/bin/busybox\",\"cat\"]", "--change", "CMD /work/note", url+"/rootfs.tar.gz", "fromurl")
	if r.Code != 0 {
		t.Fatalf("import from URL: exit %d: %s", r.Code, r.Err)
	}
	// The ENTRYPOINT takes the command's arguments.
	if out := ok(t, env, "run", "--rm", "localhost/fromurl", "/work/note"); out != "imported\n" {
		t.Errorf("image imported from a URL ran %q", out)
	}
	wantError(t, run(env, nil, "import", url+"/missing.tar"), 125, "404")
	wantError(t, run(env, nil, "import", "ftp://127.0.0.1/x.tar"), 125, "unsupported URL scheme")
	notTar := filepath.Join(dir, "not.tar")
	os.WriteFile(notTar, []byte("this is not a tarball\n"), 0o644)
	wantError(t, run(env, nil, "import", notTar), 125, "not a tar archive")
	wantError(t, run(env, nil, "import", "--change", "FROM scratch", plain), 125, "unknown instruction FROM")
	wantError(t, run(env, nil, "import", filepath.Join(dir, "nosuch.tar")), 125, "no such file")
}

func TestArchiveExport(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "run", "--name", "x", "busybox", "sh", "-c", "echo hi > /f; mkdir /d; chown 1000:1000 /d")
	file := filepath.Join(t.TempDir(), "x.tar")
	ok(t, env, "export", "-o", file, "x")
	files := tarFiles(t, mustRead(t, file))
	f, found := files["f"]
	if !found || f.PAXRecords["body"] != "hi\n" {
		t.Fatalf("exported tar has no /f with hi: %v", keys(files))
	}
	// Owners are as the container sees them, not the host's subordinate ids.
	if f.Uid != 0 || files["d"] == nil || files["d"].Uid != 1000 {
		t.Errorf("owners: /f uid %d, /d %+v; want 0 and 1000", f.Uid, files["d"])
	}
	if _, ok := files["bin/busybox"]; !ok {
		t.Errorf("exported tar lacks the image's files")
	}
	r := run(env, nil, "export", "x")
	if r.Code != 0 || tarFiles(t, []byte(r.Out))["f"] == nil {
		t.Errorf("export to stdout: exit %d: %s", r.Code, r.Err)
	}
	// Exported, imported, run: the container's file is in the new image.
	ok(t, env, "import", "-q", file, "fromexport")
	if out := ok(t, env, "run", "--rm", "fromexport", "cat", "/f"); out != "hi\n" {
		t.Errorf("re-imported export has /f = %q", out)
	}
	wantError(t, run(env, nil, "export", "-o", file, "nosuch"), 125, "nosuch")
	ok(t, env, "rm", "x")
}

// TestArchivePullTransports pulls from each non-registry transport.
func TestArchivePullTransports(t *testing.T) {
	dir := t.TempDir()
	da := filepath.Join(dir, "bb.tar")
	ok(t, baseEnv, "save", "-q", "-o", da, "busybox")
	oa := filepath.Join(dir, "bb-oci.tar")
	ok(t, baseEnv, "save", "-q", "--format", "oci-archive", "-o", oa, "busybox")
	od := filepath.Join(dir, "oci")
	ok(t, baseEnv, "save", "-q", "--format", "oci-dir", "-o", od, "multilayer")
	dd := filepath.Join(dir, "dir")
	ok(t, baseEnv, "save", "-q", "--format", "docker-dir", "-o", dd, "busybox")
	for _, tc := range []struct{ ref, name string }{
		{"docker-archive:" + da, regAddr + "/busybox:latest"},
		{"oci-archive:" + oa, regAddr + "/busybox:latest"},
		{"oci:" + od, regAddr + "/multilayer:latest"},
		{"oci:" + od + ":" + regAddr + "/multilayer:latest", regAddr + "/multilayer:latest"},
		{"dir:" + dd, ""},
	} {
		t.Run(strings.SplitN(tc.ref, ":", 2)[0], func(t *testing.T) {
			env := newWorld(t)
			r := run(env, nil, "pull", "-q", tc.ref)
			if r.Code != 0 {
				t.Fatalf("pull %s: exit %d: %s", tc.ref, r.Code, r.Err)
			}
			id := strings.TrimSpace(r.Out)
			if len(id) != 64 {
				t.Fatalf("pull printed %q, want an image id", r.Out)
			}
			ref := id[:12]
			if tc.name != "" {
				ref = tc.name
			}
			if out := ok(t, env, "run", "--rm", ref, "echo", "ok"); out != "ok\n" {
				t.Errorf("run %s printed %q", ref, out)
			}
		})
	}
}

// TestArchiveBadInput feeds load broken and hostile archives: each is one
// Error line and exit 125, nothing outside the store changes, and the store still works.
func TestArchiveBadInput(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	before := imageIDs(t, env)
	home := getenv(env, "HOME")
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar")
	ok(t, baseEnv, "save", "-q", "-o", good, "busybox")

	// Things a hostile layer would like to reach: files the user owns.
	victimDir := filepath.Join(home, "victim")
	os.MkdirAll(victimDir, 0o755)
	victimFile := filepath.Join(victimDir, "file")
	os.WriteFile(victimFile, []byte("original\n"), 0o644)
	passwd := mustRead(t, "/etc/passwd")
	snapshot := func() map[string]string {
		m := map[string]string{}
		filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				m[p] = string(b)
			}
			return nil
		})
		return m
	}
	homeBefore := snapshot()

	tests := []struct {
		name, want string
		build      func(file string)
		// loads: rpod cannot see this one in the archive; storage must contain it.
		loads bool
	}{
		{"truncated", "truncated archive", func(f string) {
			b := mustRead(t, good)
			os.WriteFile(f, b[:len(b)/2+100], 0o644)
		}, false},
		{"not-a-tar", "not a tar archive", func(f string) {
			os.WriteFile(f, bytes.Repeat([]byte("this is not an archive\n"), 100), 0o644)
		}, false},
		{"empty", "is empty", func(f string) { os.WriteFile(f, nil, 0o644) }, false},
		{"plain-tar", "neither manifest.json", func(f string) {
			os.WriteFile(f, archTar(t, []archEntry{archFile("hello", "hi\n")}), 0o644)
		}, false},
		{"path-escape", "leaves the layer's root", func(f string) {
			layer := archTar(t, []archEntry{archFile("../../etc/evil", "evil\n"), archFile("../../../../../../../../"+strings.TrimPrefix(home, "/")+"/evil", "evil\n")})
			dockerArchive(t, f, handImage{tags: []string{"localhost/escape:latest"}, layers: [][]byte{layer}, config: map[string]any{}})
		}, false},
		{"absolute-symlink", "written through symlink", func(f string) {
			layer := archTar(t, []archEntry{
				{name: "pw", typ: tar.TypeSymlink, link: "/etc/passwd"},
				archFile("pw", "pwned\n"),
				{name: "victim", typ: tar.TypeSymlink, link: victimFile},
				archFile("victim", "pwned\n"),
				{name: "hostdir", typ: tar.TypeSymlink, link: victimDir},
				archFile("hostdir/file", "pwned\n"),
				archFile("hostdir/evil", "pwned\n"),
			})
			dockerArchive(t, f, handImage{tags: []string{"localhost/symlink:latest"}, layers: [][]byte{layer}, config: map[string]any{}})
		}, false},
		{"hardlink-escape", "leaves the layer's root", func(f string) {
			layer := archTar(t, []archEntry{{name: "pw", typ: tar.TypeLink, link: "../../../../../../etc/passwd"}})
			dockerArchive(t, f, handImage{tags: []string{"localhost/hardlink:latest"}, layers: [][]byte{layer}, config: map[string]any{}})
		}, false},
		// A symlink in one layer and a file through it in the next: each
		// layer is fine alone, so the archive loads, and containers/storage
		// must keep the file inside the image.
		{"symlink-across-layers", "", func(f string) {
			l1 := archTar(t, busyboxRootfs(t, archEntry{name: "hostdir", typ: tar.TypeSymlink, link: victimDir}, archEntry{name: "pw", typ: tar.TypeSymlink, link: victimFile}))
			l2 := archTar(t, []archEntry{archFile("hostdir/evil", "pwned\n"), archFile("hostdir/file", "pwned\n")})
			dockerArchive(t, f, handImage{tags: []string{"localhost/across:latest"}, layers: [][]byte{l1, l2}, config: map[string]any{}})
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, tc.name+".tar")
			tc.build(file)
			r := run(env, nil, "load", "-i", file)
			if tc.loads {
				if r.Code != 0 {
					t.Fatalf("load: exit %d: %s", r.Code, r.Err)
				}
				// Inside, the file is wherever the layer put it; outside, nothing moved.
				out := ok(t, env, "run", "--rm", "localhost/across:latest", "/bin/busybox", "cat", "/hostdir/evil")
				t.Logf("inside the container /hostdir/evil holds %q", out)
				got := imageIDs(t, env)
				if len(got) != len(before)+1 {
					t.Errorf("images before %v, after %v: want one more", before, got)
				}
				before = got
			} else {
				line := errorLine(t, r, 125)
				if !strings.Contains(line, tc.want) {
					t.Errorf("error line %q does not contain %q", line, tc.want)
				}
				// Same through stdin, where the message names stdin.
				f, _ := os.Open(file)
				rs := run(env, f, "load")
				f.Close()
				if l := errorLine(t, rs, 125); strings.Contains(l, "rpod-load-") || !strings.Contains(l, tc.want) {
					t.Errorf("load from stdin: error line %q", l)
				}
				// And through pull, for the archive kinds.
				if tc.name != "empty" && tc.name != "not-a-tar" && tc.name != "plain-tar" {
					rp := run(env, nil, "pull", "docker-archive:"+file)
					if !strings.Contains(rp.Err, "invalid reference format") {
						if l := errorLine(t, rp, 125); !strings.Contains(l, tc.want) {
							t.Errorf("pull docker-archive: error line %q", l)
						}
					}
				}
			}
			if !bytes.Equal(mustRead(t, "/etc/passwd"), passwd) {
				t.Fatal("/etc/passwd changed")
			}
			if after := snapshot(); !sameFiles(after, homeBefore) {
				t.Errorf("files in HOME changed: before %v, after %v", homeBefore, after)
			}
			for _, p := range []string{"/etc/evil", filepath.Join(home, "evil"), filepath.Join(filepath.Dir(home), "evil"), filepath.Join(victimDir, "evil")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s appeared", p)
				}
			}
			// No file named evil anywhere in the world but inside a layer.
			filepath.WalkDir(filepath.Dir(home), func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Name() == "evil" && !strings.Contains(p, "/diff/") {
					t.Errorf("%s appeared outside any layer", p)
				}
				return nil
			})
			if got := imageIDs(t, env); !slices.Equal(got, before) {
				t.Errorf("images before %v, after %v", before, got)
			}
			if r := run(env, nil, "run", "--rm", "busybox", "true"); r.Code != 0 {
				t.Errorf("run after a bad load: exit %d: %s", r.Code, r.Err)
			}
		})
	}
	wantError(t, run(env, nil, "load", "-i", filepath.Join(dir, "nosuch.tar")), 125, "no such file")
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
