package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestApplyChange(t *testing.T) {
	for _, tc := range []struct {
		changes []string
		want    imgspecv1.ImageConfig
		err     string
	}{
		{changes: []string{"CMD /bin/sh"}, want: imgspecv1.ImageConfig{Cmd: []string{"/bin/sh", "-c", "/bin/sh"}}},
		{changes: []string{`CMD ["sh","-c","x"]`}, want: imgspecv1.ImageConfig{Cmd: []string{"sh", "-c", "x"}}},
		{changes: []string{`CMD=["sh"]`}, want: imgspecv1.ImageConfig{Cmd: []string{"sh"}}},
		{changes: []string{"cmd echo a=b"}, want: imgspecv1.ImageConfig{Cmd: []string{"/bin/sh", "-c", "echo a=b"}}},
		{changes: []string{"CMD"}, err: "INSTRUCTION VALUE"},
		{changes: []string{"CMD [nope"}, err: "JSON array"},
		{changes: []string{`ENTRYPOINT ["/bin/busybox","cat"]`}, want: imgspecv1.ImageConfig{Entrypoint: []string{"/bin/busybox", "cat"}}},
		{changes: []string{"ENTRYPOINT top -b"}, want: imgspecv1.ImageConfig{Entrypoint: []string{"/bin/sh", "-c", "top -b"}}},
		{changes: []string{"ENTRYPOINT "}, want: imgspecv1.ImageConfig{}},
		{changes: []string{"ENV A=B"}, want: imgspecv1.ImageConfig{Env: []string{"A=B"}}},
		{changes: []string{"ENV=A=B"}, want: imgspecv1.ImageConfig{Env: []string{"A=B"}}},
		{changes: []string{"ENV A=hello there"}, want: imgspecv1.ImageConfig{Env: []string{"A=hello there"}}},
		{changes: []string{`ENV A="x y" B=2`}, want: imgspecv1.ImageConfig{Env: []string{"A=x y", "B=2"}}},
		{changes: []string{"ENV A some value"}, want: imgspecv1.ImageConfig{Env: []string{"A=some value"}}},
		{changes: []string{"ENV A=1", "ENV A=2"}, want: imgspecv1.ImageConfig{Env: []string{"A=2"}}},
		{changes: []string{"ENV A="}, want: imgspecv1.ImageConfig{Env: []string{"A="}}},
		{changes: []string{"ENV"}, err: "INSTRUCTION VALUE"},
		{changes: []string{"ENV =x"}, err: "not KEY=VALUE"},
		{changes: []string{`ENV "" 0`}, err: "KEY=VALUE"},
		{changes: []string{`ENV A="unterminated`}, err: "unterminated"},
		{changes: []string{"LABEL a=b c=d"}, want: imgspecv1.ImageConfig{Labels: map[string]string{"a": "b", "c": "d"}}},
		{changes: []string{"LABEL a"}, err: "KEY=VALUE"},
		{changes: []string{"WORKDIR /x"}, want: imgspecv1.ImageConfig{WorkingDir: "/x"}},
		{changes: []string{"WORKDIR /a", "WORKDIR b", "WORKDIR c/../d"}, want: imgspecv1.ImageConfig{WorkingDir: "/a/b/d"}},
		{changes: []string{"WORKDIR rel"}, want: imgspecv1.ImageConfig{WorkingDir: "/rel"}},
		{changes: []string{"WORKDIR "}, err: "needs a directory"},
		{changes: []string{"USER 1000"}, want: imgspecv1.ImageConfig{User: "1000"}},
		{changes: []string{"USER app:app"}, want: imgspecv1.ImageConfig{User: "app:app"}},
		{changes: []string{"USER a b"}, err: "one user"},
		{changes: []string{"EXPOSE 80 53/udp"}, want: imgspecv1.ImageConfig{ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}}}},
		{changes: []string{"EXPOSE 0"}, err: "1 to 65535"},
		{changes: []string{"EXPOSE 80/icmp"}, err: "protocol"},
		{changes: []string{"VOLUME /data /logs/"}, want: imgspecv1.ImageConfig{Volumes: map[string]struct{}{"/data": {}, "/logs": {}}}},
		{changes: []string{`VOLUME ["/v"]`}, want: imgspecv1.ImageConfig{Volumes: map[string]struct{}{"/v": {}}}},
		{changes: []string{"VOLUME rel"}, err: "absolute"},
		{changes: []string{"STOPSIGNAL SIGINT"}, want: imgspecv1.ImageConfig{StopSignal: "SIGINT"}},
		{changes: []string{"STOPSIGNAL 9"}, want: imgspecv1.ImageConfig{StopSignal: "9"}},
		{changes: []string{"STOPSIGNAL NOPE"}, err: "signal"},
		{changes: []string{"FROM scratch"}, err: "unknown instruction FROM"},
		{changes: []string{"=x"}, err: "INSTRUCTION VALUE"},
	} {
		var c imgspecv1.ImageConfig
		var err error
		for _, ch := range tc.changes {
			if err = ApplyChange(&c, ch); err != nil {
				break
			}
		}
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one containing %q", tc.changes, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.changes, err)
		case tc.err == "" && !reflect.DeepEqual(c, tc.want):
			t.Errorf("%q: got %+v, want %+v", tc.changes, c, tc.want)
		}
	}
}

func FuzzApplyChange(f *testing.F) {
	for _, s := range []string{"CMD /bin/sh", `CMD ["sh","-c","x"]`, "ENV A=B", `ENV A="x y" B='z'`, "ENV A b c", "WORKDIR /x", "USER 1000",
		"ENTRYPOINT top", "EXPOSE 80/udp", "VOLUME /v", "LABEL a=b", "STOPSIGNAL TERM", "cmd=\\", "ENV \"", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, change string) {
		if len(change) > 256 {
			return // long inputs add nothing and make minimizing slow
		}
		var c imgspecv1.ImageConfig
		if err := ApplyChange(&c, change); err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(change, "\n") {
				t.Errorf("error of more than one line: %v", err)
			}
			return
		}
		if c.WorkingDir != "" && !strings.HasPrefix(c.WorkingDir, "/") {
			t.Errorf("%q: relative WORKDIR %q", change, c.WorkingDir)
		}
		for _, e := range c.Env {
			if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
				t.Errorf("%q: env entry %q is not KEY=VALUE", change, e)
			}
		}
		for v := range c.Volumes {
			if !strings.HasPrefix(v, "/") {
				t.Errorf("%q: relative volume %q", change, v)
			}
		}
	})
}

// layerTar builds a tar from (type, name, linkname) triples.
func layerTar(t testing.TB, entries ...[3]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Typeflag: e[0][0], Name: e[1], Linkname: e[2], Mode: 0o644}
		if h.Typeflag == tar.TypeReg {
			h.Size = 2
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte("x\n"))
		}
	}
	tw.Close()
	return buf.Bytes()
}

const (
	reg  = string(tar.TypeReg)
	dir  = string(tar.TypeDir)
	sym  = string(tar.TypeSymlink)
	hard = string(tar.TypeLink)
)

func TestCheckLayer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries [][3]string
		bad     bool
	}{
		{"plain", [][3]string{{dir, "bin/", ""}, {reg, "bin/busybox", ""}, {sym, "bin/sh", "/bin/busybox"}, {hard, "bin/ls", "bin/busybox"}}, false},
		{"absolute names are relative to the root", [][3]string{{reg, "/etc/x", ""}}, false},
		{"dot dot inside", [][3]string{{reg, "a/../b", ""}}, false},
		{"whiteout", [][3]string{{reg, "data/.wh.old", ""}, {reg, "opaque/.wh..wh..opq", ""}}, false},
		{"symlink replaced by symlink", [][3]string{{sym, "l", "/a"}, {sym, "l", "/b"}}, false},
		{"escape", [][3]string{{reg, "../../etc/evil", ""}}, true},
		{"escape from a subdirectory", [][3]string{{reg, "a/../../evil", ""}}, true},
		{"bare dot dot", [][3]string{{dir, "..", ""}}, true},
		{"hard link out", [][3]string{{hard, "pw", "../../etc/passwd"}}, true},
		{"file through symlink", [][3]string{{sym, "pw", "/etc/passwd"}, {reg, "pw", ""}}, true},
		{"file under symlinked dir", [][3]string{{sym, "etcdir", "/etc"}, {reg, "etcdir/evil", ""}}, true},
		{"deep under symlinked dir", [][3]string{{sym, "a/l", "/"}, {dir, "a/l/etc/", ""}}, true},
		{"whiteout through symlink", [][3]string{{sym, "l", "/etc"}, {reg, "l/.wh.passwd", ""}}, true},
	} {
		err := CheckLayer(bytes.NewReader(layerTar(t, tc.entries...)))
		if tc.bad != (err != nil) || (err != nil && !errors.Is(err, ErrHostile)) {
			t.Errorf("%s: CheckLayer = %v, want hostile %v", tc.name, err, tc.bad)
		}
	}
}

// specTar builds a tar from lines "T name [link]" (T one of 0 5 2 1, as
// tar type flags), so that the fuzzer explores names and links, not tar's framing.
func specTar(t testing.TB, spec string) ([]byte, bool) {
	var entries [][3]string
	for _, l := range strings.Split(spec, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || len(f) > 3 || !strings.Contains("0521", f[0]) || len(f[0]) != 1 {
			continue
		}
		if len(f) == 2 {
			f = append(f, "")
		}
		entries = append(entries, [3]string{f[0], f[1], f[2]})
	}
	if len(entries) == 0 {
		return nil, false
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		// Names tar cannot encode are not the point here.
		if tw.WriteHeader(&tar.Header{Typeflag: e[0][0], Name: e[1], Linkname: e[2], Mode: 0o644}) != nil {
			return nil, false
		}
	}
	tw.Close()
	return buf.Bytes(), true
}

func FuzzCheckLayer(f *testing.F) {
	for _, s := range []string{"0 a\n2 l /etc", "2 l /etc\n0 l/passwd", "0 ../x", "1 h ../../etc/passwd", "5 d/\n0 d/../../x", "2 a/b /\n5 a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		if len(spec) > 512 {
			return
		}
		b, ok := specTar(t, spec)
		if !ok {
			return
		}
		if CheckLayer(bytes.NewReader(b)) != nil {
			return
		}
		// Accepted: no entry leaves the root or goes through the layer's own symlinks.
		tr := tar.NewReader(bytes.NewReader(b))
		links := map[string]bool{}
		for {
			h, err := tr.Next()
			if err != nil {
				return
			}
			name, ok := inRoot(h.Name)
			if !ok {
				t.Fatalf("accepted %q", h.Name)
			}
			for p := path.Dir(name); p != "."; p = path.Dir(p) {
				if links[p] {
					t.Fatalf("accepted %q under symlink %q", h.Name, p)
				}
			}
			if h.Typeflag == tar.TypeSymlink {
				links[name] = true
			}
		}
	})
}

// archiveOf builds an outer archive holding the named files.
func archiveOf(t testing.TB, files map[string][]byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	return buf.Bytes()
}

func TestDetectArchive(t *testing.T) {
	good := layerTar(t, [3]string{reg, "hello", ""})
	evil := layerTar(t, [3]string{reg, "../../etc/evil", ""})
	var gzEvil bytes.Buffer
	zw := gzip.NewWriter(&gzEvil)
	zw.Write(evil)
	zw.Close()
	docker := archiveOf(t, map[string][]byte{"manifest.json": []byte("[]"), "abc/layer.tar": good, "abc.json": []byte("{}")})
	oci := archiveOf(t, map[string][]byte{"index.json": []byte("{}"), "oci-layout": []byte("{}"), "blobs/sha256/aa": good})
	both := archiveOf(t, map[string][]byte{"index.json": []byte("{}"), "oci-layout": []byte("{}"), "manifest.json": []byte("[]")})
	var gzDocker bytes.Buffer
	zw = gzip.NewWriter(&gzDocker)
	zw.Write(docker)
	zw.Close()
	for _, tc := range []struct {
		name string
		in   []byte
		want string
		err  string
	}{
		{"docker", docker, DockerArchive, ""},
		{"oci", oci, OCIArchive, ""},
		{"docker 25 writes both", both, DockerArchive, ""},
		{"gzip", gzDocker.Bytes(), DockerArchive, ""},
		{"empty", nil, "", "empty"},
		{"text", bytes.Repeat([]byte("not a tar\n"), 200), "", "not a tar archive"},
		{"short text", []byte("hi\n"), "", "not a tar archive"},
		{"truncated", archiveOf(t, map[string][]byte{"big": bytes.Repeat([]byte("x"), 4096)})[:1500], "", "truncated"},
		{"plain tar", good, "", "neither manifest.json"},
		{"hostile layer", archiveOf(t, map[string][]byte{"manifest.json": []byte("[]"), "l.tar": evil}), "", "leaves the layer's root"},
		{"hostile gzip layer", archiveOf(t, map[string][]byte{"index.json": []byte("{}"), "oci-layout": []byte("{}"), "blobs/sha256/bb": gzEvil.Bytes()}), "", "leaves the layer's root"},
	} {
		got, err := DetectArchive(bytes.NewReader(tc.in))
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func FuzzDetectArchive(f *testing.F) {
	f.Add("manifest.json\nl.tar", 1000)
	f.Add("index.json\noci-layout\nblobs/sha256/aa", 0)
	f.Add("./manifest.json", 3000)
	f.Fuzz(func(t *testing.T, names string, cut int) {
		if len(names) > 512 {
			return
		}
		// An outer archive of small files under the fuzzed names, cut short
		// at a fuzzed length: the format follows the names, or it is an error.
		files := map[string][]byte{}
		for _, n := range strings.Split(names, "\n") {
			if n != "" && len(n) < 100 {
				files[n] = []byte("{}")
			}
		}
		b := archiveOf(t, files)
		if cut > 0 && cut < len(b) {
			b = b[:cut]
		}
		got, err := DetectArchive(bytes.NewReader(b))
		if err != nil {
			return
		}
		top := map[string]bool{}
		for n := range files {
			top[path.Clean("/"+n)] = true
		}
		switch {
		case got == DockerArchive && !top["/manifest.json"],
			got == OCIArchive && !(top["/index.json"] && top["/oci-layout"]),
			got != DockerArchive && got != OCIArchive:
			t.Fatalf("%q from names %q", got, names)
		}
	})
}

func TestExtractLayoutStaysInside(t *testing.T) {
	d := t.TempDir()
	inner := filepath.Join(d, "inner")
	os.Mkdir(inner, 0o755)
	for _, tc := range []struct {
		name string
		in   []byte
		err  bool
	}{
		{"files", layerTar(t, [3]string{dir, "blobs/", ""}, [3]string{reg, "blobs/sha256/aa", ""}, [3]string{reg, "index.json", ""}), false},
		{"dot dot is cleaned to the root", layerTar(t, [3]string{reg, "../../escaped", ""}), false},
		{"symlink", layerTar(t, [3]string{sym, "blobs", "/etc"}), true},
	} {
		err := extractLayout(bytes.NewReader(tc.in), inner)
		if tc.err != (err != nil) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(d, "escaped")); err == nil {
		t.Error("an entry was written outside the directory")
	}
	if _, err := os.Stat(filepath.Join(inner, "escaped")); err != nil {
		t.Errorf("the cleaned entry is not inside: %v", err)
	}
}

func TestCheckTar(t *testing.T) {
	d := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(d, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	good := layerTar(t, [3]string{reg, "a", ""})
	if err := checkTar(write("good.tar", good)); err != nil {
		t.Errorf("good tar: %v", err)
	}
	for name, tc := range map[string]struct {
		in  []byte
		err string
	}{
		"text":      {[]byte("just text\n"), "not a tar archive"},
		"empty":     {nil, "empty"},
		"zeros":     {make([]byte, 1024), "empty"},
		"truncated": {good[:513], "truncated"},
		"hostile":   {layerTar(t, [3]string{reg, "../x", ""}), "leaves the layer's root"},
	} {
		if err := checkTar(write(name, tc.in)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.err)
		}
	}
}
