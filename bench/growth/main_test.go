package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{"10,100,1000", []int{10, 100, 1000}, true},
		{" 5 , 7", []int{5, 7}, true},
		{"10", []int{10}, true},
		{"100,10", nil, false},
		{"10,10", nil, false},
		{"0", nil, false},
		{"10,x", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, err := parseSizes(tt.in)
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("parseSizes(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseSizes(f *testing.F) {
	f.Add("10,100,1000")
	f.Add("1,,2")
	f.Fuzz(func(t *testing.T, s string) {
		sizes, err := parseSizes(s)
		if err != nil {
			return
		}
		for i, v := range sizes {
			if v < 1 || (i > 0 && v <= sizes[i-1]) {
				t.Fatalf("parseSizes(%q) = %v: not positive and increasing", s, sizes)
			}
		}
	})
}

func TestParseStraceSummary(t *testing.T) {
	in := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 40.00    0.004000          10       400        12 openat
 30.00    0.003000           1      3000           futex
------ ----------- ----------- --------- --------- ----------------
100.00    0.010000           2      4321        57 total
`
	c, err := parseStraceSummary(in)
	if err != nil || c != (sysCount{total: 4321, openat: 400}) {
		t.Errorf("got %+v, %v", c, err)
	}
	noErrors := "100.00    0.000100           1        12 total\n"
	if c, err := parseStraceSummary(noErrors); err != nil || c.total != 12 {
		t.Errorf("total without errors column: %+v, %v", c, err)
	}
	if _, err := parseStraceSummary("strace: exec failed\n"); err == nil {
		t.Error("no table: want an error")
	}
}

func FuzzParseStraceSummary(f *testing.F) {
	f.Add("100.00    0.000100           1        12 total\n")
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := parseStraceSummary(s); err == nil && !strings.Contains(s, "total") {
			t.Fatalf("parseStraceSummary(%q): no total line, yet no error", s)
		}
	})
}
