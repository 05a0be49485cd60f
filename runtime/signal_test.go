package runtime

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"TERM", syscall.SIGTERM, true},
		{"SIGTERM", syscall.SIGTERM, true},
		{"sigkill", syscall.SIGKILL, true},
		{"hup", syscall.SIGHUP, true},
		{"9", syscall.SIGKILL, true},
		{"64", syscall.Signal(64), true},
		{"0", 0, false},
		{"65", 0, false},
		{"-1", 0, false},
		{"NOPE", 0, false},
		{"", 0, false},
	} {
		got, err := ParseSignal(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSignal(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func FuzzParseSignal(f *testing.F) {
	f.Add("TERM")
	f.Add("15")
	f.Fuzz(func(t *testing.T, s string) {
		if sig, err := ParseSignal(s); err == nil && (sig < 1 || sig > 64) {
			t.Errorf("%q parsed to %d", s, sig)
		}
	})
}
