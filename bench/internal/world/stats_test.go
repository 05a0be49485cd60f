package world

import (
	"testing"
	"time"
)

func TestMedianPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var ds []time.Duration
		for _, x := range v {
			ds = append(ds, time.Duration(x)*time.Millisecond)
		}
		return ds
	}
	tests := []struct {
		name     string
		in       []time.Duration
		median   time.Duration
		p90, p50 time.Duration
	}{
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"odd, unsorted", ms(5, 1, 3), 3 * time.Millisecond, 5 * time.Millisecond, 3 * time.Millisecond},
		{"even: mean of the middle two", ms(4, 1, 3, 2), 2500 * time.Microsecond, 4 * time.Millisecond, 2 * time.Millisecond},
		{"ten: p90 is the 9th", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 5500 * time.Microsecond, 9 * time.Millisecond, 5 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := append([]time.Duration(nil), tt.in...)
			if got := Median(tt.in); got != tt.median {
				t.Errorf("Median = %v, want %v", got, tt.median)
			}
			if got := Percentile(tt.in, 0.9); got != tt.p90 {
				t.Errorf("Percentile(0.9) = %v, want %v", got, tt.p90)
			}
			if got := Percentile(tt.in, 0.5); got != tt.p50 {
				t.Errorf("Percentile(0.5) = %v, want %v", got, tt.p50)
			}
			for i := range orig {
				if orig[i] != tt.in[i] {
					t.Fatalf("input reordered: %v, was %v", tt.in, orig)
				}
			}
		})
	}
}

func TestTailMS(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"  short \n", 10, "short"},
		{"abcdefghij", 4, "...ghij"},
		{"abcd", 4, "abcd"},
	}
	for _, tt := range tests {
		if got := Tail(tt.in, tt.max); got != tt.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
	if got := MS(1234567 * time.Nanosecond); got != "1.2" {
		t.Errorf("MS = %q, want 1.2", got)
	}
}
