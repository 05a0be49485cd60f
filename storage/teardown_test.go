package storage

import (
	"testing"
	"time"
)

func TestWaitTeardowns(t *testing.T) {
	dir := t.TempDir()
	if WaitTeardowns(dir, time.Second) {
		t.Fatal("gave up waiting where no teardown ever ran")
	}
	if err := HoldTeardown(dir); err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open descriptions: our own hold blocks our wait.
	if !WaitTeardowns(dir, 20*time.Millisecond) {
		t.Fatal("did not wait for a teardown in progress")
	}
}
