package runtime

import (
	"errors"
	"testing"

	cstorage "go.podman.io/storage"
)

// dupStore refuses the first taken creates as containers/storage does a
// name that a concurrent create has just recorded.
type dupStore struct {
	cstorage.Store
	taken int
	names []string
}

func (s *dupStore) CreateContainer(id string, names []string, image, layer, metadata string, options *cstorage.ContainerOptions) (*cstorage.Container, error) {
	s.names = append(s.names, names[0])
	if s.taken > 0 {
		s.taken--
		return nil, cstorage.ErrDuplicateName
	}
	return &cstorage.Container{ID: id, Names: names}, nil
}

func TestCreateRecordRetriesAChosenName(t *testing.T) {
	for _, tc := range []struct {
		name      string
		generated bool
		taken     int
		wantErr   bool
		tries     int
	}{
		{"chosen name taken twice", true, 2, false, 3},
		{"chosen name always taken", true, 100, true, 33},
		{"user's name taken", false, 1, true, 1},
		{"free", false, 0, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &dupStore{taken: tc.taken}
			cfg := Config{ID: "0123456789ab", Name: "mine"}
			sc, err := createRecord(s, &cfg, &cstorage.ContainerOptions{}, tc.generated)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, cstorage.ErrDuplicateName) {
				t.Errorf("err = %v, want ErrDuplicateName", err)
			}
			if len(s.names) != tc.tries {
				t.Errorf("%d tries (%v), want %d", len(s.names), s.names, tc.tries)
			}
			if err == nil && sc.Names[0] != cfg.Name {
				t.Errorf("record named %q, config %q", sc.Names[0], cfg.Name)
			}
		})
	}
}
