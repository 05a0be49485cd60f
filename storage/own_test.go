package storage

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCopyFeatureChecks(t *testing.T) {
	from, to := t.TempDir(), t.TempDir()
	for name, text := range map[string]string{
		"idmapped-lower-dir-false": "",
		"volatile-true":            "",
		"overlay-false":            "kernel refused: EPERM", // a refusal keeps its reason
		"metacopy()-false":         "",                      // main answered it the other way
		"native-diff()-true":       "",                      // main answered it the same way
		"notes":                    "not an answer",
	} {
		if err := os.WriteFile(filepath.Join(from, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(from, "dir-true"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"metacopy()-true", "native-diff()-true"} {
		if err := os.WriteFile(filepath.Join(to, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFeatureChecks(from, to)
	ents, err := os.ReadDir(to)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := []string{"idmapped-lower-dir-false", "metacopy()-true", "native-diff()-true", "overlay-false", "volatile-true"}
	if !slices.Equal(got, want) {
		t.Errorf("after the copy: %q, want %q", got, want)
	}
	if text, _ := os.ReadFile(filepath.Join(to, "overlay-false")); string(text) != "kernel refused: EPERM" {
		t.Errorf("a refusal's reason: %q", text)
	}
}

func TestSeedFeatureChecks(t *testing.T) {
	from, root := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(from, "overlay-true"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(root, "storage", "overlay")
	seedFeatureChecks(from, to)
	if _, err := os.Stat(filepath.Join(to, "overlay-true")); err != nil {
		t.Fatalf("a new store is not seeded: %v", err)
	}
	// A store that exists keeps its own answers, even none.
	if err := os.Remove(filepath.Join(to, "overlay-true")); err != nil {
		t.Fatal(err)
	}
	seedFeatureChecks(from, to)
	if _, err := os.Stat(filepath.Join(to, "overlay-true")); err == nil {
		t.Error("a store that exists was seeded again")
	}
}
