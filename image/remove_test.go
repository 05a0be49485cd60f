package image

import "testing"

func TestNormalizeName(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "mybox", want: "localhost/mybox:latest"},
		{in: "mybox:v1", want: "localhost/mybox:v1"},
		{in: "team/box", want: "localhost/team/box:latest"},
		{in: "localhost/box", want: "localhost/box:latest"},
		{in: "localhost:5000/box:2", want: "localhost:5000/box:2"},
		{in: "quay.io/team/box", want: "quay.io/team/box:latest"},
		{in: "127.0.0.1:5000/busybox", want: "127.0.0.1:5000/busybox:latest"},
		{in: "Bad", err: "invalid"},
		{in: "box@sha256:0123456789012345678901234567890123456789012345678901234567890123", err: "digest"},
		{in: "", err: "invalid"},
	} {
		got, err := NormalizeName(tc.in)
		if tc.err != "" {
			if err == nil {
				t.Errorf("NormalizeName(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestIsHexID(t *testing.T) {
	for s, want := range map[string]bool{"abc": true, "ab": false, "busybox": false, "0123456789ab": true, "ABC": false} {
		if isHexID(s) != want {
			t.Errorf("isHexID(%q) != %v", s, want)
		}
	}
}
