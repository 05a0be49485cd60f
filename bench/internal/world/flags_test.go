package world

import (
	"flag"
	"testing"
)

func TestFlags(t *testing.T) {
	n := flag.Int("flagstest-n", 20, "")
	count := flag.Int("flagstest-count", 100, "")
	var f Flags
	f.Register("flagstest-n", "3", "flagstest-count", "0")
	if got, want := flag.Lookup("quick").Usage, "a sanity run: -flagstest-n 3 -flagstest-count 0 unless given"; got != want {
		t.Errorf("-quick help = %q, want %q", got, want)
	}
	if code := f.Parse("flagstest-n", "flagstest-count"); code != 0 || *n != 20 {
		t.Fatalf("not quick: code %d, n = %d; want 0 and 20 untouched", code, *n)
	}
	if err := flag.Set("quick", "true"); err != nil {
		t.Fatal(err)
	}
	if code := f.Parse("flagstest-n"); code != 0 || *n != 3 || *count != 0 {
		t.Fatalf("quick: code %d, n = %d, count = %d; want 0, 3 and 0", code, *n, *count)
	}
	if code := f.Parse("flagstest-n", "flagstest-count"); code != 2 {
		t.Errorf("count 0: code %d, want 2", code)
	}
}

func TestAtLeastOne(t *testing.T) {
	flag.Int("alotest-a", 1, "")
	flag.Int("alotest-b", 0, "")
	flag.Int("alotest-c", 5, "")
	tests := []struct {
		names []string
		want  string
	}{
		{[]string{"alotest-a"}, ""},
		{[]string{"alotest-b"}, "-alotest-b must be at least 1"},
		{[]string{"alotest-a", "alotest-b"}, "-alotest-a and -alotest-b must be at least 1"},
		{[]string{"alotest-b", "alotest-a", "alotest-c"}, "-alotest-b, -alotest-a and -alotest-c must be at least 1"},
		{[]string{"alotest-a", "alotest-c"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := atLeastOne(tt.names); got != tt.want {
			t.Errorf("atLeastOne(%q) = %q, want %q", tt.names, got, tt.want)
		}
	}
}
