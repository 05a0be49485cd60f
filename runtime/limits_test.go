package runtime

import (
	"strings"
	"testing"
)

func TestParseUlimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Ulimit
		err  string
	}{
		{in: "nofile=1024", want: Ulimit{"nofile", 1024, 1024}},
		{in: "nofile=512:1024", want: Ulimit{"nofile", 512, 1024}},
		{in: "core=-1", want: Ulimit{"core", Unlimited, Unlimited}},
		{in: "core=0:unlimited", want: Ulimit{"core", 0, Unlimited}},
		{in: "as=unlimited:-1", want: Ulimit{"as", Unlimited, Unlimited}},
		{in: "rttime=10:20", want: Ulimit{"rttime", 10, 20}},
		{in: "nofile=2:1", err: "soft limit 2 is above the hard limit 1"},
		{in: "nofile=-1:10", err: "soft limit unlimited is above"},
		{in: "nofile", err: "use NAME=SOFT[:HARD]"},
		{in: "nofile=", err: "use NAME=SOFT[:HARD]"},
		{in: "=5", err: "use NAME=SOFT[:HARD]"},
		{in: "bogus=1", err: `unknown limit "bogus"`},
		{in: "NOFILE=1", err: "unknown limit"},
		{in: "nofile=x", err: `"x" is not a limit`},
		{in: "nofile=1:", err: `"" is not a limit`},
		{in: "nofile=-2", err: "is not a limit"},
		{in: "nofile=1:2:3", err: "is not a limit"},
		{in: "nofile=18446744073709551615", err: "is not a limit"},
	} {
		got, err := ParseUlimit(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseUlimit(%q) = %v, %v; want error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseUlimit(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestCheckUlimit(t *testing.T) {
	if err := CheckUlimit(Ulimit{"nofile", 1, 1}); err != nil {
		t.Errorf("nofile=1: %v", err)
	}
	// Unlimited is above any finite hard limit (the kernel's nr_open caps nofile's).
	err := CheckUlimit(Ulimit{"nofile", 1, Unlimited})
	if err == nil || !strings.Contains(err.Error(), "nofile") || !strings.Contains(err.Error(), "ulimit -Hn") {
		t.Errorf("nofile=1:unlimited: %v", err)
	}
}

func FuzzParseUlimit(f *testing.F) {
	for _, s := range []string{"nofile=1024:2048", "core=-1", "nproc=unlimited", "x", "a=b:c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUlimit(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if u.Soft > u.Hard {
			t.Fatalf("%q: soft %d > hard %d", s, u.Soft, u.Hard)
		}
		if _, ok := rlimits[u.Name]; !ok {
			t.Fatalf("%q: unknown name %q accepted", s, u.Name)
		}
	})
}
