package userns

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestDataPopulated checks that the constructor wrote-faulted the
// executable's writable data in before Go started (join.c, populate_data):
// its writable file mapping is private, anonymous memory from end to end,
// where the runtime alone leaves the pages it never wrote as file pages.
func TestDataPopulated(t *testing.T) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, found := false, false
	var size string
	for s := bufio.NewScanner(f); s.Scan(); {
		fields := strings.Fields(s.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			in = len(fields) >= 6 && fields[1] == "rw-p" && fields[5] == exe
		case in && fields[0] == "Size:":
			size = fields[1]
		case in && fields[0] == "Anonymous:":
			found = true
			if fields[1] != size {
				t.Errorf("writable data of %s: %s kB anonymous of %s kB", exe, fields[1], size)
			}
		}
	}
	if !found {
		t.Fatalf("no writable mapping of %s in /proc/self/smaps", exe)
	}
}
