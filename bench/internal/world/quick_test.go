package world

import (
	"flag"
	"strings"
	"testing"
)

func TestQuickDefaults(t *testing.T) {
	n := flag.Int("quicktest-n", 20, "")
	count := flag.Int("quicktest-count", 100, "")
	if err := flag.Set("quicktest-count", "7"); err != nil { // as if given on the command line
		t.Fatal(err)
	}
	if err := QuickDefaults(false, map[string]string{"quicktest-n": "3"}); err != nil || *n != 20 {
		t.Fatalf("not quick: n = %d, %v; want 20 untouched", *n, err)
	}
	if err := QuickDefaults(true, map[string]string{"quicktest-n": "3", "quicktest-count": "10"}); err != nil {
		t.Fatal(err)
	}
	if *n != 3 || *count != 7 {
		t.Errorf("n = %d, count = %d; want 3 (quick) and 7 (explicit wins)", *n, *count)
	}
	if note := QuickNote(true); !strings.Contains(note, "-quicktest-n 3") {
		t.Errorf("QuickNote = %q", note)
	}
	flag.Int("quicktest-bad", 1, "")
	if err := QuickDefaults(true, map[string]string{"quicktest-bad": "x"}); err == nil {
		t.Error("bad value: want an error")
	}
}
