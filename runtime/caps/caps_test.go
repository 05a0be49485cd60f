//go:build linux

package caps

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/rpod/rpod/internal/fixture"
)

const helperEnv = "RPOD_CAPS_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "apply" {
		applyHelper()
		return // not reached: applyHelper execs or exits
	}
	os.Exit(m.Run())
}

// applyHelper runs in a subprocess that is root of its user namespace (or
// real root): it applies the default set on its locked thread and execs cat
// to show the resulting process state.
func applyHelper() {
	runtime.LockOSThread()
	var keep []int
	for _, n := range Default {
		c, err := Parse(n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(2)
		}
		keep = append(keep, c...)
	}
	if err := Apply(keep); err != nil {
		fmt.Fprintln(os.Stderr, "helper: Apply:", err)
		os.Exit(3)
	}
	err := syscall.Exec("/bin/cat", []string{"cat", "/proc/self/status"}, os.Environ())
	fmt.Fprintln(os.Stderr, "helper: exec:", err)
	os.Exit(4)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		want    []int
		wantErr string
	}{
		{name: "CAP_NET_ADMIN", want: []int{12}},
		{name: "net_admin", want: []int{12}},
		{name: "Net_Admin", want: []int{12}},
		{name: "NET_ADMIN", want: []int{12}},
		{name: " cap_chown ", want: []int{0}},
		{name: "CAP_SYS_ADMIN", want: []int{21}},
		{name: "SETFCAP", want: []int{31}},
		{name: "CAP_MAC_OVERRIDE", want: []int{32}},
		{name: "CAP_CHECKPOINT_RESTORE", want: []int{40}},
		{name: "foo", wantErr: `unknown capability "foo"`},
		{name: "CAP_FOO", wantErr: `unknown capability "CAP_FOO"`},
		{name: "", wantErr: `unknown capability ""`},
		{name: "CAP_", wantErr: `unknown capability "CAP_"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.name)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse(%q) error = %v, want %q", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.name, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestParseAll(t *testing.T) {
	for _, n := range []string{"ALL", "all", "CAP_ALL"} {
		got, err := Parse(n)
		if err != nil {
			t.Fatalf("Parse(%q): %v", n, err)
		}
		if len(got) != Last()+1 {
			t.Fatalf("Parse(%q) gave %d caps, want %d", n, len(got), Last()+1)
		}
		for i, c := range got {
			if c != i {
				t.Fatalf("Parse(%q)[%d] = %d", n, i, c)
			}
		}
	}
}

func TestDefault(t *testing.T) {
	if len(Default) != 11 {
		t.Fatalf("len(Default) = %d, want 11", len(Default))
	}
	var mask uint64
	for _, n := range Default {
		c, err := Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		mask |= 1 << uint(c[0])
	}
	// podman's default CapBnd.
	if mask != 0x800405fb {
		t.Fatalf("default mask = %#x, want 0x800405fb", mask)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		set  []int
		want []string
	}{
		{set: nil, want: []string{}},
		{set: []int{0}, want: []string{"CAP_CHOWN"}},
		{set: []int{21, 12, 0}, want: []string{"CAP_CHOWN", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"}},
		{set: []int{7, 7, 6}, want: []string{"CAP_SETGID", "CAP_SETUID"}},
		{set: []int{40, 62}, want: []string{"CAP_CHECKPOINT_RESTORE", "CAP_62"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.set), func(t *testing.T) {
			if got := Names(tt.set); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Names(%v) = %q, want %q", tt.set, got, tt.want)
			}
		})
	}
}

func TestNamesRoundTrip(t *testing.T) {
	for c := 0; c <= 40; c++ {
		n := Names([]int{c})
		got, err := Parse(n[0])
		if err != nil || len(got) != 1 || got[0] != c {
			t.Fatalf("Parse(Names(%d)) = %v, %v", c, got, err)
		}
	}
	var def []int
	for _, n := range Default {
		c, _ := Parse(n)
		def = append(def, c...)
	}
	got := Names(def)
	want := append([]string(nil), Default...)
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Names(Default) = %q, want %q", got, want)
	}
}

func TestLast(t *testing.T) {
	last := Last()
	if last < 36 || last > 63 {
		t.Fatalf("Last() = %d, implausible", last)
	}
}

func TestApplyInvalid(t *testing.T) {
	if err := Apply([]int{64}); err == nil {
		t.Fatal("Apply([64]) succeeded")
	}
	if err := Apply([]int{-1}); err == nil {
		t.Fatal("Apply([-1]) succeeded")
	}
}

// helperCommand returns a command re-running this test binary as a helper
// with full capabilities: directly when running as root, else as root of a
// new user namespace.
func helperCommand(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	if os.Getuid() != 0 {
		cmd.SysProcAttr = fixture.UserNSRoot(0)
	}
	return cmd
}

func TestApplyExec(t *testing.T) {
	cmd := helperCommand(t, "apply")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		if os.Getuid() != 0 && cmd.Process == nil {
			t.Skipf("cannot create a user namespace: %v", err)
		}
		t.Fatalf("helper: %v\n%s", err, stderr)
	}
	status := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			status[k] = strings.TrimSpace(v)
		}
	}
	want := map[string]string{
		"CapInh": "00000000800405fb",
		"CapPrm": "00000000800405fb",
		"CapEff": "00000000800405fb",
		"CapBnd": "00000000800405fb",
		"CapAmb": "0000000000000000",
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s = %q, want %q", k, status[k], v)
		}
	}
	if t.Failed() {
		t.Logf("status:\n%s", out)
	}
}
