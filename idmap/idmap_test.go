package idmap

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParse(t *testing.T) {
	const f = "/etc/subuid"
	type bad struct {
		line   int
		reason string
	}
	tests := []struct {
		name    string
		in      string
		want    []Entry
		wantBad []bad
	}{
		{
			name: "empty",
			in:   "",
		},
		{
			name: "names",
			in:   "alice:100000:65536\nbob:165536:65536\n",
			want: []Entry{
				{Owner: "alice", Range: Range{100000, 65536}, File: f, Line: 1},
				{Owner: "bob", Range: Range{165536, 65536}, File: f, Line: 2},
			},
		},
		{
			name: "numeric keys",
			in:   "1000:100000:65536\n0:1:1",
			want: []Entry{
				{Owner: "1000", Range: Range{100000, 65536}, File: f, Line: 1},
				{Owner: "0", Range: Range{1, 1}, File: f, Line: 2},
			},
		},
		{
			name: "several ranges for one user",
			in:   "alice:100000:10\nalice:200000:20\nalice:300000:30\n",
			want: []Entry{
				{Owner: "alice", Range: Range{100000, 10}, File: f, Line: 1},
				{Owner: "alice", Range: Range{200000, 20}, File: f, Line: 2},
				{Owner: "alice", Range: Range{300000, 30}, File: f, Line: 3},
			},
		},
		{
			name: "comments blank lines whitespace and CRLF",
			in:   "# header\n\n   \n  alice:100000:65536  \r\n\t# indented comment\nbob:1:2\r\n",
			want: []Entry{
				{Owner: "alice", Range: Range{100000, 65536}, File: f, Line: 4},
				{Owner: "bob", Range: Range{1, 2}, File: f, Line: 6},
			},
		},
		{
			name: "largest range that fits",
			in:   "max:4294967294:1\nall:0:4294967295\n",
			want: []Entry{
				{Owner: "max", Range: Range{4294967294, 1}, File: f, Line: 1},
				{Owner: "all", Range: Range{0, 4294967295}, File: f, Line: 2},
			},
		},
		{
			name: "malformed lines keep their line numbers and do not stop the parse",
			in: strings.Join([]string{
				"# comment",                 // 1
				"abc",                       // 2
				"alice:100000",              // 3
				"alice:1:2:3",               // 4
				":100000:65536",             // 5
				"alice:x:65536",             // 6
				"alice:-1:65536",            // 7
				"alice:100000:",             // 8
				"alice:100000:0",            // 9
				"alice:4294967296:1",        // 10
				"alice:1:99999999999",       // 11
				"alice:4294967295:1",        // 12
				"alice:4294967000:1000",     // 13
				"al ice:1:1",                // 14
				"alice:100000:65536 # note", // 15
				"",                          // 16
				"good:200000:10",            // 17
			}, "\n"),
			want: []Entry{{Owner: "good", Range: Range{200000, 10}, File: f, Line: 17}},
			wantBad: []bad{
				{2, "want NAME:START:COUNT"},
				{3, "want NAME:START:COUNT"},
				{4, "too many fields, want NAME:START:COUNT"},
				{5, "empty owner, want NAME:START:COUNT"},
				{6, `start "x" is not a number`},
				{7, `start "-1" is not a number`},
				{8, `count "" is not a number`},
				{9, "count is zero"},
				{10, `start "4294967296" is larger than 4294967295`},
				{11, `count "99999999999" is larger than 4294967295`},
				{12, "start+count = 4294967296 overflows past 2^32-1"},
				{13, "start+count = 4294968000 overflows past 2^32-1"},
				{14, `owner "al ice" contains whitespace`},
				{15, `count "65536 # note" is not a number`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotBad := Parse(strings.NewReader(tt.in), f)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("entries:\n got %+v\nwant %+v", got, tt.want)
			}
			if len(gotBad) != len(tt.wantBad) {
				t.Fatalf("got %d bad lines, want %d: %v", len(gotBad), len(tt.wantBad), gotBad)
			}
			for i, w := range tt.wantBad {
				g := gotBad[i]
				if g.File != f || g.Line != w.line || g.Reason != w.reason {
					t.Errorf("bad[%d] = %s:%d %q, want %s:%d %q", i, g.File, g.Line, g.Reason, f, w.line, w.reason)
				}
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, bad := Parse(strings.NewReader("a:1:1\n#\n\n  abc  \n"), "/etc/subuid")
	if len(bad) != 1 {
		t.Fatalf("got %d bad lines, want 1", len(bad))
	}
	const want = `/etc/subuid:4: malformed line "abc": want NAME:START:COUNT`
	if got := bad[0].Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLookup(t *testing.T) {
	file := filepath.Join(t.TempDir(), "subuid")
	content := "# comment\n" + // 1
		"alice:100000:65536\n" + // 2
		"1000:200000:10\n" + // 3
		"bob:300000:5\n" + // 4
		"alice:400000:10\n" + // 5
		"bad line\n" + // 6
		"01000:500000:1\n" // 7
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		user      string
		uid       uint32
		wantLines []int
	}{
		{"by name and uid", "alice", 1000, []int{2, 3, 5, 7}},
		{"by name only", "alice", 4242, []int{2, 5}},
		{"by uid only", "carol", 1000, []int{3, 7}},
		{"uid without a name", "", 1000, []int{3, 7}},
		{"nobody", "carol", 4242, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := Lookup(file, tt.user, tt.uid)
			if err != nil {
				t.Fatal(err)
			}
			var lines []int
			for _, e := range got {
				if e.File != file {
					t.Errorf("entry file = %q, want %q", e.File, file)
				}
				lines = append(lines, e.Line)
			}
			if !reflect.DeepEqual(lines, tt.wantLines) {
				t.Errorf("lines = %v, want %v", lines, tt.wantLines)
			}
			if len(bad) != 1 || bad[0].Line != 6 {
				t.Errorf("bad = %v, want line 6 only", bad)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		got, bad, err := Lookup(filepath.Join(t.TempDir(), "nope"), "alice", 1000)
		if err != nil || got != nil || bad != nil {
			t.Errorf("got %v, %v, %v; want nothing", got, bad, err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		if _, _, err := Lookup(t.TempDir(), "alice", 1000); err == nil {
			t.Error("reading a directory succeeded")
		}
	})
}

func TestDefault(t *testing.T) {
	tests := []struct {
		name   string
		hostID uint32
		ranges []Range
		want   []Mapping
	}{
		{"no ranges", 1000, nil, []Mapping{{0, 1000, 1}}},
		{"one range", 1000, []Range{{100000, 65536}},
			[]Mapping{{0, 1000, 1}, {1, 100000, 65536}}},
		{"several ranges are contiguous in the container", 1000,
			[]Range{{100000, 10}, {300000, 5}, {200000, 65536}},
			[]Mapping{{0, 1000, 1}, {1, 100000, 10}, {11, 300000, 5}, {16, 200000, 65536}}},
		{"empty range skipped", 1000, []Range{{5, 0}, {100000, 2}},
			[]Mapping{{0, 1000, 1}, {1, 100000, 2}}},
		{"truncated at the end of the id space", 1000,
			[]Range{{0, 4294967295}, {100000, 10}},
			[]Mapping{{0, 1000, 1}, {1, 0, 4294967294}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Default(tt.hostID, tt.ranges); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRanges(t *testing.T) {
	got := Ranges([]Entry{{Owner: "a", Range: Range{1, 2}}, {Owner: "a", Range: Range{5, 6}}})
	if want := []Range{{1, 2}, {5, 6}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCheckRanges(t *testing.T) {
	const f = "/etc/subuid"
	e := func(line int, start, count uint32) Entry {
		return Entry{Owner: "alice", Range: Range{start, count}, File: f, Line: line}
	}
	tests := []struct {
		name    string
		entries []Entry
		wantErr string // empty: no error
	}{
		{"none", nil, ""},
		{"fine", []Entry{e(1, 100000, 65536), e(2, 200000, 10)}, ""},
		{"adjacent", []Entry{e(1, 100000, 10), e(2, 100010, 10), e(3, 999, 1)}, ""},
		{"own id inside", []Entry{e(1, 100000, 10), e(3, 990, 20)},
			"/etc/subuid:3: subordinate range 990:20 (ids 990-1009) contains your own id 1000: remove that line"},
		{"own id at the start", []Entry{e(4, 1000, 1)},
			"/etc/subuid:4: subordinate range 1000:1 (ids 1000-1000) contains your own id 1000: remove that line"},
		{"own id at the end", []Entry{e(2, 1, 1000)},
			"/etc/subuid:2: subordinate range 1:1000 (ids 1-1000) contains your own id 1000: remove that line"},
		{"overlap", []Entry{e(1, 100000, 65536), e(2, 300000, 10), e(5, 165535, 10)},
			"/etc/subuid:1: subordinate range 100000:65536 (ids 100000-165535) overlaps range 165535:10 (ids 165535-165544) at /etc/subuid:5: remove or shrink one of them"},
		{"nested", []Entry{e(1, 100, 10), e(2, 0, 500)},
			"/etc/subuid:1: subordinate range 100:10 (ids 100-109) overlaps range 0:500 (ids 0-499) at /etc/subuid:2: remove or shrink one of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRanges(1000, tt.entries)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("no error, want %q", tt.wantErr)
			case tt.wantErr != "" && err.Error() != tt.wantErr:
				t.Errorf("error:\n got %q\nwant %q", err, tt.wantErr)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   []Mapping
		want string
	}{
		{nil, ""},
		{[]Mapping{{0, 1000, 1}}, "0:1000:1"},
		{[]Mapping{{0, 1000, 1}, {1, 100000, 65536}}, "0:1000:1,1:100000:65536"},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// fakeHelper puts an executable called name into a fresh directory that is
// the whole $PATH, and returns its path.
func fakeHelper(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	return p
}

func TestCheckHelper(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := CheckHelper("newuidmap")
		const want = "newuidmap not found in $PATH: install the uidmap package: " + FixInstallHelpers + " (rpod system check: newuidmap)"
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})

	t.Run("not setuid", func(t *testing.T) {
		p := fakeHelper(t, "newgidmap")
		_, err := CheckHelper("newgidmap")
		want := p + " is not setuid root and has no file capabilities: " + FixHelperPrivilege(p) + " (rpod system check: newgidmap)"
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})

	t.Run("installed", func(t *testing.T) {
		if _, err := exec.LookPath("newuidmap"); err != nil {
			t.Skip("newuidmap is not installed")
		}
		p, err := CheckHelper("newuidmap")
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(p) {
			t.Errorf("path %q is not absolute", p)
		}
	})

	t.Run("fake setuid root", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to make a setuid-root file")
		}
		p := fakeHelper(t, "newuidmap")
		if err := os.Chmod(p, 0o755|os.ModeSetuid); err != nil {
			t.Fatal(err)
		}
		checkPrivileged(t, p)
	})

	t.Run("fake with file capabilities", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to set file capabilities")
		}
		p := fakeHelper(t, "newuidmap")
		// struct vfs_cap_data, revision 2: CAP_SETUID permitted and effective.
		caps := []byte{
			0x01, 0x00, 0x00, 0x02, // magic_etc: VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
			1 << unix.CAP_SETUID, 0, 0, 0, // permitted, low word
			0, 0, 0, 0, // inheritable, low word
			0, 0, 0, 0, // permitted, high word
			0, 0, 0, 0, // inheritable, high word
		}
		if err := unix.Setxattr(p, "security.capability", caps, 0); err != nil {
			t.Skipf("cannot set file capabilities here: %v", err)
		}
		checkPrivileged(t, p)
	})
}

// checkPrivileged expects CheckHelper to accept the privileged fake at p,
// unless its filesystem is mounted nosuid.
func checkPrivileged(t *testing.T, p string) {
	t.Helper()
	got, err := CheckHelper("newuidmap")
	var sfs unix.Statfs_t
	if unix.Statfs(p, &sfs) == nil && sfs.Flags&unix.ST_NOSUID != 0 {
		if err == nil || !strings.Contains(err.Error(), "nosuid mount") {
			t.Errorf("on a nosuid mount: err = %v, want a nosuid message", err)
		}
		return
	}
	if err != nil || got != p {
		t.Errorf("CheckHelper = %q, %v; want %q, nil", got, err, p)
	}
}

// startUserns starts "sleep 10" in a new, still unmapped user namespace.
func startUserns(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "10")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot create a user namespace: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

// readProc returns /proc/PID/name with each line's fields single-spaced.
func readProc(t *testing.T, pid int, name string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.Lines(string(b)) {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

func TestWriteMapsSingleID(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("the single-ID path is the unprivileged one; run as a normal user")
	}
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	pid := startUserns(t)
	if err := WriteMaps(pid, []Mapping{{0, uid, 1}}, []Mapping{{0, gid, 1}}); err != nil {
		t.Fatal(err)
	}
	if got, want := readProc(t, pid, "uid_map"), "0 "+strconv.Itoa(int(uid))+" 1"; got != want {
		t.Errorf("uid_map = %q, want %q", got, want)
	}
	if got, want := readProc(t, pid, "gid_map"), "0 "+strconv.Itoa(int(gid))+" 1"; got != want {
		t.Errorf("gid_map = %q, want %q", got, want)
	}
	if got := readProc(t, pid, "setgroups"); got != "deny" {
		t.Errorf("setgroups = %q, want deny", got)
	}
}

// ownRanges returns the caller's subordinate ranges from file, skipping the
// test when there are none to use.
func ownRanges(t *testing.T, file string, id uint32) []Range {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Skipf("unknown current user: %v", err)
	}
	entries, _, err := Lookup(file, u.Username, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Skipf("%s has no ranges in %s", u.Username, file)
	}
	if err := CheckRanges(id, entries); err != nil {
		t.Skip(err)
	}
	return Ranges(entries)
}

func TestWriteMapsHelper(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("the helper path is the unprivileged one; run as a normal user")
	}
	if _, err := CheckHelper("newuidmap"); err != nil {
		t.Skip(err)
	}
	if _, err := CheckHelper("newgidmap"); err != nil {
		t.Skip(err)
	}
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	uidMaps := Default(uid, ownRanges(t, "/etc/subuid", uid))
	gidMaps := Default(gid, ownRanges(t, "/etc/subgid", gid))

	t.Run("ok", func(t *testing.T) {
		pid := startUserns(t)
		if err := WriteMaps(pid, uidMaps, gidMaps); err != nil {
			t.Fatal(err)
		}
		for name, maps := range map[string][]Mapping{"uid_map": uidMaps, "gid_map": gidMaps} {
			var want []string
			for _, m := range maps {
				want = append(want, strings.ReplaceAll(Format([]Mapping{m}), ":", " "))
			}
			if got := readProc(t, pid, name); got != strings.Join(want, "\n") {
				t.Errorf("%s = %q, want %q", name, got, strings.Join(want, "\n"))
			}
		}
	})

	t.Run("range not granted", func(t *testing.T) {
		pid := startUserns(t)
		// A range that is not in /etc/subuid: newuidmap must refuse it.
		maps := []Mapping{{0, uid, 1}, {1, 4000000000, 10}}
		err := WriteMaps(pid, maps, nil)
		if err == nil {
			t.Fatal("newuidmap accepted a range the user does not own")
		}
		// The check that explains it replaces the helper's errno.
		want := "uids 4000000000-4000000009 are not granted to "
		msg := err.Error()
		if !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, "(rpod system check: subuid)") || strings.Contains(msg, "\n") {
			t.Errorf("error %q: want one line starting with %q naming the subuid check", msg, want)
		}
		var ce *CheckError
		if !errors.As(err, &ce) || !strings.HasPrefix(ce.Err.Error(), "newuidmap "+strconv.Itoa(pid)+" 0 "+strconv.Itoa(int(uid))+" 1 1 4000000000 10: ") {
			t.Errorf("error does not wrap the helper's own: %#v", err)
		}
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Errorf("error does not unwrap to *exec.ExitError: %#v", err)
		}
		t.Log(msg)
	})
}

// failingReader yields its data, then a read error.
type failingReader struct{ data string }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestParseReadError(t *testing.T) {
	entries, bad := Parse(&failingReader{"alice:1:2\nbob:3:"}, "f")
	if len(entries) != 1 || entries[0].Owner != "alice" {
		t.Errorf("entries = %v, want alice's only", entries)
	}
	if len(bad) != 1 || bad[0].Line != 2 || bad[0].Reason != "read failed: disk on fire" {
		t.Errorf("bad = %v, want a read failure on line 2", bad)
	}
}

func TestOwnerIsUID(t *testing.T) {
	for owner, want := range map[string]bool{"1000": true, "01000": true, "100": false, "bob": false, "": false, "99999999999999": false} {
		if got := ownerIsUID(owner, 1000); got != want {
			t.Errorf("ownerIsUID(%q) = %v", owner, got)
		}
	}
}
