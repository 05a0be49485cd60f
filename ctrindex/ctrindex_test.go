package ctrindex

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func id(c byte) string { return strings.Repeat(string(c), 64) }

func newIndex(t *testing.T) *Index {
	t.Helper()
	dir := t.TempDir()
	return New(filepath.Join(dir, "graph"), filepath.Join(dir, "run"))
}

func add(t *testing.T, x *Index, id, name string) {
	t.Helper()
	unlock, err := x.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := x.Add(id, name, []byte(`{"name":"`+name+`"}`), true); err != nil {
		t.Fatalf("Add(%.12s, %s): %v", id, name, err)
	}
}

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"web", true},
		{"a", true},
		{"0abc", true},
		{"my_app.v1-2", true},
		{"", false},
		{"_x", false},
		{".hidden", false},
		{"-x", false},
		{"a/b", false},
		{"..", false},
		{"a b", false},
		{"ünï", false},
		{"x\x00", false},
	} {
		if got := ValidName(tc.name); got != tc.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestLookup(t *testing.T) {
	x := newIndex(t)
	a, b := "abc"+id('1')[3:], "abd"+id('2')[3:]
	add(t, x, a, "web")
	add(t, x, b, "db")
	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{"web", a, nil},
		{"db", b, nil},
		{a, a, nil},
		{"abc", a, nil},
		{"abd2", b, nil},
		{"ab", "", ErrAmbiguous},
		{"abe", "", ErrUnknown},
		{"cache", "", ErrUnknown},
		{"../names/web", "", ErrUnknown},
		{"", "", ErrUnknown},
	} {
		got, err := x.Lookup(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("Lookup(%q) = %.12s, %v; want %.12s, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	ids, err := x.IDs()
	if err != nil || len(ids) != 2 {
		t.Errorf("IDs() = %v, %v; want 2", ids, err)
	}
}

func TestNames(t *testing.T) {
	x := newIndex(t)
	add(t, x, id('a'), "web")
	unlock, err := x.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Add(id('b'), "web", []byte("{}"), true); !errors.Is(err, ErrNameInUse) {
		t.Errorf("Add of a name in use: %v, want ErrNameInUse", err)
	}
	if x.Exists(id('b')) {
		t.Errorf("a refused Add left a record")
	}
	if err := x.Add(id('b'), "bad/name", []byte("{}"), true); err == nil {
		t.Errorf("Add of an invalid name succeeded")
	}
	if err := x.Rename(id('a'), "web", "site"); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if _, ok := x.Named("web"); ok {
		t.Errorf("the old name still names the container")
	}
	if got, ok := x.Named("site"); !ok || got != id('a') {
		t.Errorf(`Named("site") = %.12s, %v`, got, ok)
	}
	if got, ok := x.NameOf(id('a')); !ok || got != "site" {
		t.Errorf("NameOf(a) = %q, %v, want site", got, ok)
	}
	if got, ok := x.NameOf(id('f')); ok {
		t.Errorf("NameOf of no container = %q", got)
	}
	// A name whose container is gone is free: its removal was cut short.
	if err := os.Symlink(id('c'), x.nameLink("stale")); err != nil {
		t.Fatal(err)
	}
	if err := x.Add(id('b'), "stale", []byte("{}"), false); err != nil {
		t.Errorf("Add of a stale name: %v", err)
	}
	if err := x.Remove(id('a'), "site"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	unlock()
	if x.Exists(id('a')) {
		t.Errorf("removed container still exists")
	}
	if _, ok := x.Named("site"); ok {
		t.Errorf("removed container's name still names it")
	}
	if _, err := os.Lstat(x.nameLink("site")); err == nil {
		t.Errorf("removed container's name link is left")
	}
	if err := x.SetConfig(id('a'), []byte("{}"), true); !errors.Is(err, ErrUnknown) {
		t.Errorf("SetConfig of a removed container: %v, want ErrUnknown", err)
	}
	if _, err := os.Stat(x.Dir(id('a'))); err == nil {
		t.Errorf("SetConfig made a removed container's directory again")
	}
}

func TestEmptyTrash(t *testing.T) {
	x := newIndex(t)
	add(t, x, id('a'), "one")
	add(t, x, id('b'), "two")
	// A removal cut short after its rename.
	left := filepath.Join(x.dir, "trash", id('c'))
	if err := os.MkdirAll(filepath.Join(left, "storage"), 0o700); err != nil {
		t.Fatal(err)
	}
	unlock, _ := x.Lock()
	if err := x.Remove(id('a'), "one"); err != nil {
		t.Fatal(err)
	}
	unlock()
	if x.Exists(id('a')) {
		t.Errorf("a removed container exists")
	}
	if err := x.EmptyTrash(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(x.dir, "trash"))
	if len(ents) != 0 {
		t.Errorf("trash holds %d entries after EmptyTrash", len(ents))
	}
	if !x.Exists(id('b')) {
		t.Errorf("Remove of one container removed another")
	}
}

func TestRefs(t *testing.T) {
	x := newIndex(t)
	add(t, x, id('a'), "one")
	add(t, x, id('b'), "two")
	unlock, _ := x.Lock()
	defer unlock()
	for _, c := range []string{id('a'), id('b'), id('c')} { // c: no record, a creation cut short
		if err := x.AddRef("pin", c); err != nil {
			t.Fatal(err)
		}
	}
	if !x.Used("pin") || x.Used("other") {
		t.Errorf("Used: pin %v, other %v", x.Used("pin"), x.Used("other"))
	}
	x.DropRef("pin", id('a'))
	if !x.Used("pin") {
		t.Errorf("pin unused with b left")
	}
	x.DropRef("pin", id('b'))
	if x.Used("pin") {
		t.Errorf("pin used once only a stale reference was left")
	}
	if err := x.DropKey("pin"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(x.dir, "refs", "pin")); !os.IsNotExist(err) {
		t.Errorf("DropKey left the key: %v", err)
	}
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"web", "abc", id('a'), "../x", "", "a/b", "."} {
		f.Add(s)
	}
	x := New(f.TempDir(), f.TempDir())
	unlock, err := x.Lock()
	if err != nil {
		f.Fatal(err)
	}
	if err := x.Add(id('a'), "web", []byte("{}"), false); err != nil {
		f.Fatal(err)
	}
	unlock()
	f.Fuzz(func(t *testing.T, s string) {
		got, err := x.Lookup(s)
		if err == nil && got != id('a') {
			t.Errorf("Lookup(%q) = %q", s, got)
		}
		if err == nil && s != "web" && !strings.HasPrefix(id('a'), s) {
			t.Errorf("Lookup(%q) found a container by neither name nor id", s)
		}
	})
}
