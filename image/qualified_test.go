package image

import (
	"testing"

	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
)

func TestQualifiedName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"localhost/bb", "localhost/bb:latest"},
		{"localhost/bb:1.0", "localhost/bb:1.0"},
		{"127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:latest"},
		{"127.0.0.1:5000/a/b-c/d__e:T_1.x-y", "127.0.0.1:5000/a/b-c/d__e:T_1.x-y"},
		{"quay.io/podman/hello:latest", "quay.io/podman/hello:latest"},
		{"docker.io/alpine", "docker.io/library/alpine:latest"},
		{"index.docker.io/alpine:3", "docker.io/library/alpine:3"},
		{"docker.io/user/app", "docker.io/user/app:latest"},
		{"my-reg.example.com:443/x---y/z.w", "my-reg.example.com:443/x---y/z.w:latest"},
		// Left to the library: short names, digests, anything unusual.
		{"busybox", ""},
		{"library/busybox", ""},
		{"busybox:latest", ""},
		{"localhost/bb@sha256:0000000000000000000000000000000000000000000000000000000000000000", ""},
		{"Localhost/bb", ""},
		{"localhost/BB", ""},
		{"[::1]:5000/bb", ""},
		{"localhost:/bb", ""},
		{"localhost:50a/bb", ""},
		{"-x.io/bb", ""},
		{"x.io/bb/", ""},
		{"x.io/a..b", ""},
		{"x.io/a___b", ""},
		{"x.io/a-", ""},
		{"x.io/a:", ""},
		{"x.io/a:.t", ""},
		{"x.io/a:" + string(make([]byte, 129)), ""},
		{"x.io/a b", ""},
		{"", ""},
	} {
		got, ok := qualifiedName(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("qualifiedName(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

// FuzzQualifiedName: whatever qualifiedName accepts, containers/image
// parses as a name that is not short, to the same normalized name.
func FuzzQualifiedName(f *testing.F) {
	for _, s := range []string{"localhost/bb", "127.0.0.1:5000/a/b:c", "docker.io/alpine", "index.docker.io/u/x:1", "x.io/a--b.c__d_e", "busybox", "x.io/a@sha256:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := qualifiedName(s)
		if !ok {
			return
		}
		named, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			t.Fatalf("qualifiedName(%q) = %q, but the library refuses it: %v", s, got, err)
		}
		if want := reference.TagNameOnly(named).String(); got != want {
			t.Fatalf("qualifiedName(%q) = %q, library %q", s, got, want)
		}
		cands, err := shortnames.ResolveLocally(nil, s)
		if err != nil || len(cands) != 1 || cands[0].String() != got {
			t.Fatalf("qualifiedName(%q) = %q, library resolves it to %v (%v)", s, got, cands, err)
		}
	})
}
