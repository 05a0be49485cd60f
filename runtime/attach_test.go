package runtime

import (
	"bytes"
	"testing"
)

func TestParseDetachKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"", nil, true},
		{"ctrl-p,ctrl-q", []byte{16, 17}, true},
		{"ctrl-a", []byte{1}, true},
		{"CTRL-Z", []byte{26}, true},
		{"ctrl-@", []byte{0}, true},
		{"ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", []byte{27, 28, 29, 30, 31}, true},
		{"a,b", []byte{'a', 'b'}, true},
		{"ctrl-x,y", []byte{24, 'y'}, true},
		{"ctrl-1", nil, false},
		{"ctrl-", nil, false},
		{"ctrl-ab", nil, false},
		{"ab", nil, false},
		{",", nil, false},
		{"ctrl-p,", nil, false},
	} {
		got, err := ParseDetachKeys(tc.in)
		if (err == nil) != tc.ok || !bytes.Equal(got, tc.want) {
			t.Errorf("ParseDetachKeys(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func FuzzParseDetachKeys(f *testing.F) {
	for _, s := range []string{"ctrl-p,ctrl-q", "a", "ctrl-@,x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParseDetachKeys(s)
		if err != nil {
			return
		}
		// Whatever parsed must detach when typed, and only at its end.
		typed := append([]byte("hello"), keys...)
		fl := detachFilter{keys: keys}
		out, detach := fl.feed(typed)
		if len(keys) > 0 && !detach {
			t.Errorf("%q: typing %q did not detach", s, typed)
		}
		if len(keys) == 0 && (detach || !bytes.Equal(out, typed)) {
			t.Errorf("%q: no keys, yet %q became %q, %v", s, typed, out, detach)
		}
	})
}

func TestDetachFilter(t *testing.T) {
	keys := []byte{16, 17}
	for _, tc := range []struct {
		name   string
		reads  []string
		out    string
		detach bool
	}{
		{"plain", []string{"echo hi\n"}, "echo hi\n", false},
		{"detach", []string{"ls\x10\x11rest"}, "ls", true},
		{"split across reads", []string{"a\x10", "\x11"}, "a", true},
		{"broken sequence passes on", []string{"\x10x"}, "\x10x", false},
		{"held then broken", []string{"\x10", "y"}, "\x10y", false},
		{"repeated first key", []string{"\x10\x10\x11"}, "\x10", true},
	} {
		f := detachFilter{keys: keys}
		var out []byte
		detach := false
		for _, r := range tc.reads {
			o, d := f.feed([]byte(r))
			out = append(out, o...)
			if d {
				detach = true
				break
			}
		}
		if string(out) != tc.out || detach != tc.detach {
			t.Errorf("%s: got %q, %v; want %q, %v", tc.name, out, detach, tc.out, tc.detach)
		}
	}
}

func TestDetachFilterOverlap(t *testing.T) {
	// A failed match may hold the start of the real one.
	f := detachFilter{keys: []byte("loll")}
	out, detach := f.feed([]byte("hellololl"))
	if !detach || string(out) != "hello" {
		t.Errorf("got %q, %v", out, detach)
	}
}
