package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/types"

	"github.com/rpod/rpod/internal/fixture"
)

// asRoot runs the test again as root of a user namespace of its own, as
// rpod runs, when the test user is not root; it reports whether it did,
// and the caller then returns.
func asRoot(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() == 0 {
		return false
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.v")
	cmd.SysProcAttr = fixture.UserNSRoot(syscall.CLONE_NEWNS)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "operation not permitted") && len(out) < 200 {
			t.Skipf("no user namespace for the test: %s", out)
		}
		t.Fatalf("as root of a user namespace: %v\n%s", err, out)
	}
	return true
}

// vfsStore opens a main store with the vfs driver, which needs no
// namespace, and one image of an empty layer.
func vfsStore(t *testing.T) (cstorage.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := cstorage.GetStore(types.StoreOptions{
		GraphRoot:       filepath.Join(dir, "graph"),
		RunRoot:         filepath.Join(dir, "run"),
		GraphDriverName: "vfs",
	})
	if err != nil {
		t.Skipf("no vfs store here: %v", err)
	}
	t.Cleanup(func() { s.Shutdown(true); s.Free() })
	layer, err := s.CreateLayer("", "", nil, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.CreateImage("", []string{"localhost/empty:latest"}, layer.ID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, img.ID
}

// TestOwnStoreLifecycle: a container's layer is in a store of its own,
// the main store holds only the pin of its image, and removal leaves
// neither the container nor its directory; the pin stays until the
// image is removed, which it does not prevent once no container uses it.
func TestOwnStoreLifecycle(t *testing.T) {
	if asRoot(t) {
		return
	}
	main, image := vfsStore(t)
	c, err := Create(main, Config{Name: "web", ImageID: image})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := c.FinishCreate(); err != nil {
		t.Fatal(err)
	}
	if _, err := main.Container(c.ID); err == nil {
		t.Errorf("the container is in the main store")
	}
	if _, err := main.DeleteImage(image, true); !errors.Is(err, cstorage.ErrImageUsedByContainer) {
		t.Errorf("removing the image of a container: %v, want ErrImageUsedByContainer", err)
	}
	got, err := Load(main, "web")
	if err != nil || got.ID != c.ID {
		t.Fatalf("Load(web) = %v, %v", got, err)
	}
	if _, err := Create(main, Config{Name: "web", ImageID: image}); !errors.Is(err, ErrNameInUse) {
		t.Errorf("Create of a name in use: %v", err)
	}
	if err := got.Rename("site"); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(main, "web"); err == nil {
		t.Errorf("the old name still loads")
	}
	root, err := got.Mount()
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "made"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := got.Unmount(); err != nil {
		t.Fatal(err)
	}
	if ch, err := got.Changes(); err != nil || len(ch) != 1 || ch[0].Path != "/made" {
		t.Errorf("Changes = %v, %v", ch, err)
	}
	all, err := List(main)
	if err != nil || len(all) != 1 || all[0].Name != "site" {
		t.Errorf("List = %v, %v; want site alone", all, err)
	}
	if err := got.Remove(false); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := Load(main, "site"); !errors.Is(err, cstorage.ErrContainerUnknown) {
		t.Errorf("Load after Remove: %v", err)
	}
	if _, err := os.Stat(got.index.Dir(got.ID)); !os.IsNotExist(err) {
		t.Errorf("the container's directory is left: %v", err)
	}
	if err := DropStalePins(main, image); err != nil {
		t.Fatal(err)
	}
	if _, err := main.DeleteImage(image, true); err != nil {
		t.Errorf("removing the image once unused: %v", err)
	}
}

// TestCutShortCreateRemoved: a creation killed once its record was
// written but before its own store held its layer is removed by Remove,
// which frees its name.
func TestCutShortCreateRemoved(t *testing.T) {
	if asRoot(t) {
		return
	}
	main, image := vfsStore(t)
	cfg := Config{ID: strings.Repeat("c", 64), Name: "cut", ImageID: image}
	opts := &cstorage.ContainerOptions{}
	cfg.Pin = pinKey(image, opts)
	c := &Container{Config: cfg, main: main, index: indexOf(main), keepsDir: true}
	if err := c.record(false, opts); err != nil {
		t.Fatal(err)
	}
	got, err := Load(main, "cut")
	if err != nil {
		t.Fatal(err)
	}
	if err := got.CheckCreated(); !errors.Is(err, ErrIncomplete) {
		t.Errorf("CheckCreated: %v, want ErrIncomplete", err)
	}
	if err := got.Remove(false); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := Load(main, "cut"); err == nil {
		t.Errorf("the container is still there")
	}
	if _, err := Create(main, Config{Name: "cut", ImageID: image}); err != nil {
		t.Errorf("the name is not free: %v", err)
	}
}

// TestLegacyContainer: a container an older rpod made in the main store,
// its record in the metadata, is found, listed, renamed and removed there.
func TestLegacyContainer(t *testing.T) {
	if asRoot(t) {
		return
	}
	main, image := vfsStore(t)
	meta, _ := json.Marshal(Config{Name: "old", ImageID: image})
	sc, err := main.CreateContainer("", []string{"old"}, image, "", string(meta), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(main, "old")
	if err != nil || c.ID != sc.ID || c.index != nil {
		t.Fatalf("Load(old) = %+v, %v", c, err)
	}
	if _, err := Create(main, Config{Name: "old", ImageID: image}); !errors.Is(err, ErrNameInUse) {
		t.Errorf("Create of a legacy container's name: %v", err)
	}
	if err := c.Rename("older"); err != nil {
		t.Fatal(err)
	}
	all, err := List(main)
	if err != nil || len(all) != 1 || all[0].Name != "older" {
		t.Fatalf("List = %v, %v", all, err)
	}
	if err := all[0].Remove(false); err != nil {
		t.Fatal(err)
	}
	if _, err := main.Container(sc.ID); err == nil {
		t.Errorf("the legacy container is still in the store")
	}
}
