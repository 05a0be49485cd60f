package image

import (
	"strings"
	"testing"
)

func TestParseCreds(t *testing.T) {
	for _, tc := range []struct {
		in, user, pass string
		bad            bool
	}{
		{in: "alice:secret", user: "alice", pass: "secret"},
		{in: "alice:se:cr:et", user: "alice", pass: "se:cr:et"},
		{in: "alice", user: "alice"},
		{in: "alice:", user: "alice"},
		{in: ":secret", bad: true},
		{in: "", bad: true},
	} {
		u, p, err := ParseCreds(tc.in)
		if (err != nil) != tc.bad || u != tc.user || p != tc.pass {
			t.Errorf("ParseCreds(%q) = %q %q %v", tc.in, u, p, err)
		}
	}
}

func FuzzParseCreds(f *testing.F) {
	for _, s := range []string{"alice:secret", ":x", "", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, p, err := ParseCreds(s)
		if err != nil {
			return
		}
		if u == "" || strings.Contains(u, ":") {
			t.Fatalf("ParseCreds(%q) user %q", s, u)
		}
		if got := u + ":" + p; got != s && u != s {
			t.Fatalf("ParseCreds(%q) = %q %q loses characters", s, u, p)
		}
	})
}

func TestRegistryKey(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "quay.io", want: "quay.io"},
		{in: "127.0.0.1:5000", want: "127.0.0.1:5000"},
		{in: "docker://127.0.0.1:5000/", want: "127.0.0.1:5000"},
		{in: "https://quay.io/ns/repo", want: "quay.io/ns/repo"},
		{in: "http://localhost:5000", want: "localhost:5000"},
		{in: "", bad: true},
		{in: "https://", bad: true},
		{in: "/abs", bad: true},
		{in: "a b", bad: true},
		{in: "quay.io//x", bad: true},
		{in: "user@quay.io", bad: true},
	} {
		got, err := RegistryKey(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("RegistryKey(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func FuzzRegistryKey(f *testing.F) {
	for _, s := range []string{"quay.io", "docker://a:1/", "https://x/y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := RegistryKey(s)
		if err != nil {
			return
		}
		if k == "" || strings.HasSuffix(k, "/") || strings.Contains(k, "//") {
			t.Fatalf("RegistryKey(%q) = %q", s, k)
		}
		// A key is its own key.
		if k2, err := RegistryKey(k); err != nil || k2 != k {
			t.Fatalf("RegistryKey(%q) = %q, but RegistryKey(%q) = %q, %v", s, k, k, k2, err)
		}
	})
}
