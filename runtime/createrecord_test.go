package runtime

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpod/rpod/ctrindex"
)

func TestRecordRetriesAChosenName(t *testing.T) {
	for _, tc := range []struct {
		name      string
		generated bool
		wantErr   bool
	}{
		{"chosen name taken", true, false},
		{"user's name taken", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			x := ctrindex.New(filepath.Join(dir, "graph"), filepath.Join(dir, "run"))
			other := &Container{Config: Config{ID: strings.Repeat("a", 64), Name: "mine"}, index: x, keepsDir: true}
			if err := other.record(false, nil); err != nil {
				t.Fatal(err)
			}
			c := &Container{Config: Config{ID: strings.Repeat("b", 64), Name: "mine"}, index: x, keepsDir: true}
			err := c.record(tc.generated, nil)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrNameInUse) || !strings.Contains(err.Error(), other.ID[:12]) {
					t.Errorf("err = %v, want ErrNameInUse naming %.12s", err, other.ID)
				}
				if x.Exists(c.ID) {
					t.Errorf("a refused record was left")
				}
				return
			}
			if c.Name == "mine" {
				t.Errorf("the chosen name was kept though taken")
			}
			if id, ok := x.Named(c.Name); !ok || id != c.ID {
				t.Errorf("Named(%q) = %.12s, %v", c.Name, id, ok)
			}
			if s, err := c.recorded(); err != nil || !s.Creating {
				t.Errorf("state %+v, %v: want created, creating", s, err)
			}
		})
	}
}
