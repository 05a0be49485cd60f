package idmap

import (
	"errors"
	"strings"
	"testing"
)

func entries(t *testing.T, text string) []Entry {
	t.Helper()
	es, bad := Parse(strings.NewReader(text), "f")
	if len(bad) > 0 {
		t.Fatalf("bad test input: %v", bad[0])
	}
	return es
}

func TestUncovered(t *testing.T) {
	es := entries(t, "me:100000:65536\nme:300000:10\n")
	for _, tc := range []struct {
		name string
		maps []Mapping
		bad  bool
		want Mapping
	}{
		{"own id only", []Mapping{{0, 1000, 1}}, false, Mapping{}},
		{"inside", []Mapping{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 10}}, false, Mapping{}},
		{"part inside", []Mapping{{0, 1000, 1}, {1, 100000, 65537}}, true, Mapping{1, 100000, 65537}},
		{"spanning two ranges", []Mapping{{0, 1000, 1}, {1, 165530, 134480}}, true, Mapping{1, 165530, 134480}},
		{"elsewhere", []Mapping{{0, 1000, 1}, {1, 4000000000, 10}}, true, Mapping{1, 4000000000, 10}},
		{"own id with size 2", []Mapping{{0, 1000, 2}}, true, Mapping{0, 1000, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := Uncovered(1000, tc.maps, es)
			if bad != tc.bad || got != tc.want {
				t.Errorf("Uncovered = %v, %v; want %v, %v", got, bad, tc.want, tc.bad)
			}
		})
	}
}

func TestOverlapping(t *testing.T) {
	all := entries(t, "me:100000:65536\nalice:165536:65536\nbob:150000:10\n1000:160000:5\ncarol:100000:1\n")
	mine := []Entry{all[0]}
	got := Overlapping(mine, all)
	var owners []string
	for _, e := range got {
		owners = append(owners, e.Owner)
	}
	// 1000 may be me by uid; Overlapping only skips my name and my own lines.
	if strings.Join(owners, ",") != "bob,1000,carol" {
		t.Errorf("overlapping owners = %v, want bob, 1000, carol", owners)
	}
	if o := Overlapping(nil, all); len(o) != 0 {
		t.Errorf("no ranges of mine overlap nothing, got %v", o)
	}
}

func TestFreeRange(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Range
	}{
		{"", Range{100000, 65536}},
		{"a:100000:65536\n", Range{165536, 65536}},
		{"a:100000:65536\nb:165536:65536\n", Range{231072, 65536}},
		{"a:200000:10\n", Range{100000, 65536}},
		{"a:165000:1\n", Range{165536, 65536}},
		{"a:165000:1\nb:200000:1\n", Range{231072, 65536}},
		{"a:1:4294967294\n", Range{100000, 65536}}, // nothing free: the default, as usermod would refuse anyway
	} {
		if got := FreeRange(entries(t, tc.file)); got != tc.want {
			t.Errorf("FreeRange(%q) = %v, want %v", tc.file, got, tc.want)
		}
	}
}

func TestFixes(t *testing.T) {
	if got, want := FixAddRanges("bob", Range{165536, 65536}), "sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 bob && rpod system migrate"; got != want {
		t.Errorf("FixAddRanges = %q, want %q", got, want)
	}
	for p, distro := range map[string]bool{"/usr/bin/newuidmap": true, "/bin/newgidmap": true, "/tmp/x/newuidmap": false, "/usr/bin/x/newuidmap": false} {
		fix := FixHelperPrivilege(p)
		if got := strings.HasPrefix(fix, "sudo chmod u+s "+p); got != distro {
			t.Errorf("FixHelperPrivilege(%q) = %q", p, fix)
		}
		if !distro && !strings.Contains(fix, "sudo chown root:root "+p+" && sudo chmod u+s "+p) {
			t.Errorf("FixHelperPrivilege(%q) = %q, want the chown and chmod", p, fix)
		}
	}
}

func TestCheckErrorText(t *testing.T) {
	inner := errors.New("exit status 1")
	e := &CheckError{Check: "subuid", Found: "found", Fix: "fix", Err: inner}
	if e.Error() != "found: fix (rpod system check: subuid)" || !errors.Is(e, inner) {
		t.Errorf("CheckError = %q", e.Error())
	}
	if e := (&CheckError{Check: "x", Found: "f"}); e.Error() != "f (rpod system check: x)" {
		t.Errorf("without a fix: %q", e.Error())
	}
}
