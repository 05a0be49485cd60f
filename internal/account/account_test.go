package account

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParsePasswd(t *testing.T) {
	for _, tc := range []struct {
		line       string
		uid        int
		name, home string // name "": an error
		gecos      string
	}{
		{"alice:x:1000:1000:Alice Liddell,,,:/home/alice:/bin/bash", 1000, "alice", "/home/alice", "Alice Liddell"},
		{"bob.smith:*:123456:100::/nfs/home/bob:/usr/bin/zsh", 123456, "bob.smith", "/nfs/home/bob", ""},
		{"root:x:0:0:root:/root:/bin/bash", 0, "root", "/root", "root"},
		{"alice:x:1000:1000:Alice:/home/alice:/bin/bash", 1001, "", "", ""}, // another uid
		{"alice:x:1000:1000:Alice:/home/alice", 1000, "", "", ""},           // 6 fields
		{"alice:x:1000:1000:Alice:/home/alice:/bin/sh:extra", 1000, "", "", ""},
		{":x:1000:1000::/:/bin/sh", 1000, "", "", ""},
		{"alice:x:ten:1000::/:/bin/sh", 1000, "", "", ""},
		{"alice:x:1000:staff::/:/bin/sh", 1000, "", "", ""},
		{"", 0, "", "", ""},
		{"\n::1000:0:::", 1000, "", "", ""}, // two lines: the name would be "\n"
		{"alice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1000:1000::/:/bin/sh", 1000, "", "", ""},
	} {
		u, err := ParsePasswd(tc.line, tc.uid)
		if tc.name == "" {
			if err == nil {
				t.Errorf("ParsePasswd(%q, %d) = %+v, want an error", tc.line, tc.uid, u)
			}
			continue
		}
		if err != nil || u.Username != tc.name || u.HomeDir != tc.home || u.Name != tc.gecos {
			t.Errorf("ParsePasswd(%q, %d) = %+v, %v", tc.line, tc.uid, u, err)
		}
	}
}

// FuzzParsePasswd: an entry accepted names a user, is that user's line, and
// has the uid asked for.
func FuzzParsePasswd(f *testing.F) {
	f.Add("alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash", 1000)
	f.Add("a::0:0:::", 0)
	f.Add("a::0123:0:::", 123)
	f.Fuzz(func(t *testing.T, line string, uid int) {
		u, err := ParsePasswd(line, uid)
		if err != nil {
			return
		}
		if u.Username == "" || strings.ContainsAny(u.Username, ":\n") || !strings.HasPrefix(line, u.Username+":") || u.Uid != strconv.Itoa(uid) {
			t.Fatalf("ParsePasswd(%q, %d) = %+v", line, uid, u)
		}
	})
}

// A user the passwd file lacks (LDAP, sssd) is found through getent.
func TestLookupIDAsksTheNameService(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "getent")
	script := "#!/bin/sh\n[ \"$1 $2\" = \"passwd 4242420\" ] || exit 2\necho 'ldapuser:*:4242420:4242420:From LDAP:/home/ldapuser:/bin/sh'\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	defer func(old string) { getent = old }(getent)
	getent = fake
	u, err := LookupID(4242420)
	if err != nil || u.Username != "ldapuser" || u.HomeDir != "/home/ldapuser" {
		t.Fatalf("LookupID through getent = %+v, %v", u, err)
	}
	if _, err := LookupID(4242421); err == nil {
		t.Error("a uid no one has was found")
	}
	if got := Name(4242421); got != "4242421" {
		t.Errorf("Name of a uid no one has = %q, want the number", got)
	}
	if got := Name(0); got != "root" {
		t.Errorf("Name(0) = %q", got)
	}
}
