package image

import "testing"

func TestHasTransport(t *testing.T) {
	for name, want := range map[string]bool{
		"docker-archive:/x.tar":         true,
		"oci-archive:/x.tar":            true,
		"oci:/dir:name":                 true,
		"dir:/d":                        true,
		"containers-storage:busybox":    true,
		"docker://busybox":              false,
		"busybox":                       false,
		"localhost:5000/busybox":        false,
		"127.0.0.1:5000/busybox:latest": false,
		"nosuch:/x":                     false,
	} {
		if got := HasTransport(name); got != want {
			t.Errorf("HasTransport(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestLocalName(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                   "localhost/busybox:latest",
		"handoci:v3":                "localhost/handoci:v3",
		"docker.io/library/busybox": "docker.io/library/busybox:latest",
		"127.0.0.1:5000/busybox:1":  "127.0.0.1:5000/busybox:1",
		"localhost/x":               "localhost/x:latest",
	} {
		n, err := localName(in)
		if err != nil || n.String() != want {
			t.Errorf("localName(%q) = %v, %v; want %s", in, n, err, want)
		}
	}
	if _, err := localName("UPPER"); err == nil {
		t.Error("localName accepted an invalid name")
	}
}

func TestSplitPathImage(t *testing.T) {
	for in, want := range map[string][2]string{
		"/a/b":                       {"/a/b", ""},
		"/a/b:":                      {"/a/b", ""},
		"/a/b:name:tag":              {"/a/b", "name:tag"},
		"/a:127.0.0.1:5000/x:latest": {"/a", "127.0.0.1:5000/x:latest"},
	} {
		p, i := splitPathImage(in)
		if p != want[0] || i != want[1] {
			t.Errorf("splitPathImage(%q) = %q, %q; want %q", in, p, i, want)
		}
	}
}
