package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	shortIDRE = regexp.MustCompile(`^[0-9a-f]{12}$`)
	sizeRE    = regexp.MustCompile(`^[0-9.]+ [kMG]?B$`)
)

// imageWorld is a private world with busybox and multilayer pulled, for
// tests that change the store.
func imageWorld(t *testing.T) []string {
	t.Helper()
	env := newWorld(t)
	for _, img := range []string{"busybox", "multilayer"} {
		ok(t, env, "pull", "-q", img)
	}
	return env
}

// rows splits tabular output into lines of fields separated by 2+ spaces.
func rows(out string) [][]string {
	var r [][]string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l != "" {
			r = append(r, regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(l), -1))
		}
	}
	return r
}

func imageID(t *testing.T, env []string, name string) string {
	t.Helper()
	return strings.TrimSpace(ok(t, env, "image", "inspect", "--format", "{{.ID}}", name))
}

func TestImagesList(t *testing.T) {
	out := ok(t, baseEnv, "images")
	r := rows(out)
	if want := []string{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}; !slices.Equal(r[0], want) {
		t.Fatalf("header %q, want %q\n%s", r[0], want, out)
	}
	seen := map[string]bool{}
	for _, f := range r[1:] {
		if len(f) != 5 {
			t.Fatalf("row %q has %d columns\n%s", f, len(f), out)
		}
		seen[f[0]] = true
		if f[1] != "latest" || !shortIDRE.MatchString(f[2]) || !strings.HasSuffix(f[3], " ago") || !sizeRE.MatchString(f[4]) {
			t.Errorf("row %q is not podman's shape", f)
		}
	}
	for _, n := range []string{regAddr + "/busybox", regAddr + "/multilayer"} {
		if !seen[n] {
			t.Errorf("%s missing from\n%s", n, out)
		}
	}
	// image list and ls are the same command.
	for _, alias := range [][]string{{"image", "list"}, {"image", "ls"}} {
		if o := ok(t, baseEnv, alias...); rows(o)[0][0] != "REPOSITORY" || len(rows(o)) != len(r) {
			t.Errorf("rpod %s printed\n%s", strings.Join(alias, " "), o)
		}
	}

	t.Run("quiet", func(t *testing.T) {
		ids := strings.Fields(ok(t, baseEnv, "images", "-q"))
		if len(ids) != len(r)-1 {
			t.Errorf("-q printed %d ids for %d rows", len(ids), len(r)-1)
		}
		for _, id := range ids {
			if !shortIDRE.MatchString(id) {
				t.Errorf("-q printed %q", id)
			}
		}
	})
	t.Run("no-trunc", func(t *testing.T) {
		out := ok(t, baseEnv, "images", "--no-trunc", "-q")
		if !regexp.MustCompile(`^(sha256:[0-9a-f]{64}\n)+$`).MatchString(out) {
			t.Errorf("--no-trunc -q printed %q", out)
		}
	})
	t.Run("digests", func(t *testing.T) {
		r := rows(ok(t, baseEnv, "images", "--digests"))
		if r[0][2] != "DIGEST" || !strings.HasPrefix(r[1][2], "sha256:") {
			t.Errorf("--digests printed %q", r)
		}
	})
	t.Run("format", func(t *testing.T) {
		out := ok(t, baseEnv, "images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}", "--sort", "repository")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], regAddr+"/busybox:latest ") || !strings.HasPrefix(lines[1], regAddr+"/multilayer:latest ") {
			t.Errorf("--format printed %q", out)
		}
		out = ok(t, baseEnv, "images", "--format", `table {{.ID}}\t{{.Repository}}\t{{.CreatedSince}}`)
		if h := rows(out)[0]; !slices.Equal(h, []string{"IMAGE ID", "REPOSITORY", "CREATED"}) {
			t.Errorf("table header %q", h)
		}
		if out := ok(t, baseEnv, "images", "--format", "{{.Labels}}", "multilayer"); out != "map[rpod.test:multilayer]\n" {
			t.Errorf("{{.Labels}} printed %q", out)
		}
		wantError(t, rpod(t, "images", "--format", "{{.Nope"), 125, "template")
		wantError(t, rpod(t, "images", "--sort", "colour"), 125, "--sort")
	})
	t.Run("json", func(t *testing.T) {
		var imgs []map[string]any
		if err := json.Unmarshal([]byte(ok(t, baseEnv, "images", "--format", "json")), &imgs); err != nil {
			t.Fatal(err)
		}
		if len(imgs) != 2 {
			t.Fatalf("%d images in json", len(imgs))
		}
		for _, im := range imgs {
			for _, k := range []string{"Id", "Names", "Digest", "Created", "Size", "Labels", "RepoDigests", "CreatedAt"} {
				if _, ok := im[k]; !ok {
					t.Errorf("json image lacks %s: %v", k, im)
				}
			}
			if id, _ := im["Id"].(string); len(id) != 64 {
				t.Errorf("Id %v", im["Id"])
			}
		}
	})
	t.Run("argument", func(t *testing.T) {
		r := rows(ok(t, baseEnv, "images", "busybox"))
		if len(r) != 2 || r[1][0] != regAddr+"/busybox" {
			t.Errorf("images busybox printed %q", r)
		}
	})
}

func TestImagesFilter(t *testing.T) {
	names := func(args ...string) []string {
		t.Helper()
		out := ok(t, baseEnv, append([]string{"images", "--format", "{{.Repository}}", "--sort", "repository"}, args...)...)
		return strings.Fields(out)
	}
	bb, ml := regAddr+"/busybox", regAddr+"/multilayer"
	for _, tc := range []struct {
		filters []string
		want    []string
	}{
		{[]string{"label=rpod.test=multilayer"}, []string{ml}},
		{[]string{"label=rpod.test"}, []string{ml}},
		{[]string{"label=rpod.test=other"}, nil},
		{[]string{"label!=rpod.test"}, []string{bb}},
		{[]string{"dangling=false"}, []string{bb, ml}},
		{[]string{"dangling=true"}, nil},
		{[]string{"reference=busy*"}, []string{bb}},
		{[]string{"reference=*/multilayer:latest"}, []string{ml}},
		{[]string{"reference=" + bb}, []string{bb}},
		{[]string{"reference=busybox", "reference=multilayer"}, []string{bb, ml}},
		{[]string{"reference=busybox", "label=rpod.test"}, nil},
		{[]string{"reference=nosuch"}, nil},
		// The fixtures share one creation time: neither is before or after the other.
		{[]string{"before=busybox"}, nil},
		{[]string{"since=multilayer"}, nil},
	} {
		var args []string
		for _, f := range tc.filters {
			args = append(args, "--filter", f)
		}
		if got := names(args...); !slices.Equal(got, tc.want) {
			t.Errorf("%v: got %q, want %q", tc.filters, got, tc.want)
		}
	}
	wantError(t, rpod(t, "images", "--filter", "colour=red"), 125, `unknown key "colour"`)
	wantError(t, rpod(t, "images", "--filter", "dangling=maybe"), 125, "true or false")
	wantError(t, rpod(t, "images", "--filter", "since=nosuch"), 125, "nosuch")
}

func TestImageInspect(t *testing.T) {
	var data []map[string]any
	if err := json.Unmarshal([]byte(ok(t, baseEnv, "image", "inspect", "multilayer")), &data); err != nil {
		t.Fatal(err)
	}
	if len(data) != 1 {
		t.Fatalf("%d objects", len(data))
	}
	d := data[0]
	for _, k := range []string{"Id", "Digest", "RepoTags", "RepoDigests", "Created", "Config", "Architecture", "Os", "Size", "RootFS", "Labels", "History"} {
		if _, ok := d[k]; !ok {
			t.Errorf("inspect lacks %s", k)
		}
	}
	if out := ok(t, baseEnv, "image", "inspect", "--format", "{{.Id}}", "multilayer"); out != fmt.Sprint(d["Id"])+"\n" {
		t.Errorf("image inspect --format {{.Id}}: %q, want %v", out, d["Id"])
	}
	if tags, _ := d["RepoTags"].([]any); len(tags) != 1 || tags[0] != regAddr+"/multilayer:latest" {
		t.Errorf("RepoTags %v", d["RepoTags"])
	}
	if l, _ := d["RootFS"].(map[string]any)["Layers"].([]any); len(l) != 3 {
		t.Errorf("RootFS %v", d["RootFS"])
	}
	if h, _ := d["History"].([]any); len(h) != 3 {
		t.Errorf("History %v", d["History"])
	}
	if u := d["Config"].(map[string]any)["User"]; u != "app" {
		t.Errorf("Config.User %v", u)
	}
	if d["Os"] != "linux" || d["Labels"].(map[string]any)["rpod.test"] != "multilayer" {
		t.Errorf("Os %v Labels %v", d["Os"], d["Labels"])
	}
	if size, _ := d["Size"].(float64); size < 100000 {
		t.Errorf("Size %v", d["Size"])
	}

	out := ok(t, baseEnv, "image", "inspect", "--format", "{{.ID}} {{.Config.WorkingDir}} {{index .Labels \"rpod.test\"}}", "multilayer", "busybox")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], " /home/app multilayer") || len(strings.Fields(lines[0])[0]) != 64 {
		t.Errorf("--format printed %q", out)
	}
	if out := ok(t, baseEnv, "inspect", "--format", "{{.Os}}", "busybox"); out != "linux\n" {
		t.Errorf("rpod inspect printed %q", out)
	}
	id, _ := d["Id"].(string)
	for _, ref := range []string{"sha256:" + id, id[:12], regAddr + "/multilayer"} {
		if got := imageID(t, baseEnv, ref); got != id {
			t.Errorf("inspect %s gave %s, want %s", ref, got, id)
		}
	}
	wantError(t, rpod(t, "image", "inspect", "nosuchimage"), 125, "nosuchimage: image not known")
	wantError(t, rpod(t, "inspect", "nosuchimage"), 125, `no such object: "nosuchimage"`)
}

func TestImageExists(t *testing.T) {
	if r := rpod(t, "image", "exists", "busybox"); r.Code != 0 || r.Out != "" || r.Err != "" {
		t.Errorf("exists busybox: %+v", r)
	}
	if r := rpod(t, "image", "exists", "nosuchimage"); r.Code != 1 || r.Out != "" || r.Err != "" {
		t.Errorf("exists nosuchimage: %+v", r)
	}
}

func TestImageTagUntag(t *testing.T) {
	env := imageWorld(t)
	id := imageID(t, env, "busybox")
	ok(t, env, "tag", "busybox", "mybox", "example.com/team/box:v1")
	out := ok(t, env, "images", "--format", "{{.Repository}} {{.Tag}} {{.ID}}", "--sort", "repository")
	for _, want := range []string{"localhost/mybox latest " + id[:12], "example.com/team/box v1 " + id[:12]} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("images lacks %q:\n%s", want, out)
		}
	}
	if out := ok(t, env, "run", "--rm", "mybox", "echo", "hi"); out != "hi\n" {
		t.Errorf("run mybox printed %q", out)
	}
	if got := imageID(t, env, "localhost/mybox:latest"); got != id {
		t.Errorf("localhost/mybox is %s, want %s", got, id)
	}
	wantError(t, run(env, nil, "tag", "nosuchimage", "x"), 125, "nosuchimage: image not known")
	wantError(t, run(env, nil, "tag", "busybox", "Bad:Name:x"), 125, "invalid")

	ok(t, env, "untag", "busybox", "mybox")
	if r := run(env, nil, "image", "exists", "mybox"); r.Code != 1 {
		t.Errorf("mybox still exists after untag")
	}
	wantError(t, run(env, nil, "untag", "busybox", "mybox"), 125, "localhost/mybox:latest: tag not known")
	// Untagged, busybox is an intermediate image (multilayer builds on its
	// layer): hidden without -a and not dangling, as in podman.
	ok(t, env, "untag", id)
	if r := rows(ok(t, env, "images")); len(r) != 2 || r[1][0] != regAddr+"/multilayer" {
		t.Errorf("images lists %q", r)
	}
	if r := rows(ok(t, env, "images", "--filter", "dangling=true")); len(r) != 1 {
		t.Errorf("dangling=true lists %q", r)
	}
	for _, args := range [][]string{{"images", "-a"}, {"images", "--filter", "intermediate=true"}} {
		r := rows(ok(t, env, args...))
		var found bool
		for _, f := range r[1:] {
			found = found || (f[0] == "<none>" && f[1] == "<none>" && f[2] == id[:12])
		}
		if !found {
			t.Errorf("%v does not list the untagged image as <none> <none>: %q", args, r)
		}
	}
	// Without multilayer, it is dangling.
	ok(t, env, "rmi", "multilayer")
	if r := rows(ok(t, env, "images", "--filter", "dangling=true")); len(r) != 2 || r[1][0] != "<none>" || r[1][2] != id[:12] {
		t.Errorf("dangling=true lists %q", r)
	}
}

func TestImageRmi(t *testing.T) {
	env := imageWorld(t)
	id := imageID(t, env, "busybox")
	ok(t, env, "tag", "busybox", "other")

	// By id, an image with several names is refused without -f, as podman does.
	wantError(t, run(env, nil, "rmi", id[:12]), 125, "more than one tag")

	// A name shared with other tags only untags that name.
	if out := ok(t, env, "rmi", "other"); out != "Untagged: localhost/other:latest\n" {
		t.Errorf("rmi other printed %q", out)
	}
	if got := imageID(t, env, "busybox"); got != id {
		t.Fatalf("busybox is gone after untagging another name")
	}

	// Refused while a container uses it, with exit 2 as podman.
	ok(t, env, "run", "--name", "user1", "busybox", "true")
	wantError(t, run(env, nil, "rmi", "busybox"), 2, "user1")
	if r := run(env, nil, "rmi", "busybox"); !strings.Contains(r.Err, "rpod rm user1") || !strings.Contains(r.Err, "-f") {
		t.Errorf("in-use error does not name the fixes: %s", r.Err)
	}
	out := ok(t, env, "rmi", "-f", "busybox")
	if out != "Untagged: "+regAddr+"/busybox:latest\nDeleted: "+id+"\n" {
		t.Errorf("rmi -f printed %q", out)
	}
	if _, ids := containers(t, env); len(ids) != 0 {
		t.Errorf("rmi -f left containers %v", ids)
	}
	if r := run(env, nil, "image", "exists", id); r.Code != 1 {
		t.Errorf("busybox still exists")
	}
	// multilayer shares busybox's base layer: it must still run.
	if out := ok(t, env, "run", "--rm", "multilayer", "cat", "/data/kept.txt"); out != "kept\n" {
		t.Errorf("multilayer after rmi busybox printed %q", out)
	}

	wantError(t, run(env, nil, "rmi", "nosuchimage"), 1, "nosuchimage: image not known")
	wantError(t, run(env, nil, "image", "rm", "nosuchimage"), 1, "nosuchimage")
	if r := run(env, nil, "rmi", "-i", "nosuchimage"); r.Code != 0 || r.Out != "" || r.Err != "" {
		t.Errorf("rmi -i nosuchimage: %+v", r)
	}

	ok(t, env, "pull", "-q", "busybox")
	out = ok(t, env, "rmi", "-a")
	if strings.Count(out, "Deleted: ") != 2 {
		t.Errorf("rmi -a printed %q", out)
	}
	if out := ok(t, env, "images", "-q"); out != "" {
		t.Errorf("images after rmi -a: %q", out)
	}
}

func TestImagePrune(t *testing.T) {
	env := imageWorld(t)
	bb, ml := imageID(t, env, "busybox"), imageID(t, env, "multilayer")
	if out := ok(t, env, "image", "prune", "-f"); out != "" {
		t.Errorf("prune with nothing dangling printed %q", out)
	}
	ok(t, env, "untag", "multilayer")
	if out := ok(t, env, "image", "prune", "-f"); out != ml+"\n" {
		t.Errorf("prune printed %q, want %s", out, ml)
	}
	// Without -f it asks; anything but y keeps the images.
	ok(t, env, "pull", "-q", "multilayer")
	ok(t, env, "run", "--name", "keeper", "busybox", "true")
	r := run(env, strings.NewReader("n\n"), "image", "prune", "-a")
	if r.Code != 0 || !strings.Contains(r.Out, "Are you sure") {
		t.Errorf("prune -a without -f: %+v", r)
	}
	if run(env, nil, "image", "exists", "multilayer").Code != 0 {
		t.Fatalf("prune -a answered n removed multilayer")
	}
	// -a removes every image no container uses.
	out := ok(t, env, "image", "prune", "-a", "-f")
	if out != ml+"\n" {
		t.Errorf("prune -a printed %q, want %s", out, ml)
	}
	if run(env, nil, "image", "exists", "multilayer").Code != 1 || run(env, nil, "image", "exists", bb).Code != 0 {
		t.Errorf("prune -a: multilayer should be gone and busybox (used by keeper) kept:\n%s", ok(t, env, "images"))
	}
}

func TestImageHistory(t *testing.T) {
	out := ok(t, baseEnv, "history", "multilayer")
	r := rows(out)
	if want := []string{"ID", "CREATED", "CREATED BY", "SIZE", "COMMENT"}; !slices.Equal(r[0], want) {
		t.Fatalf("header %q\n%s", r[0], out)
	}
	if len(r) != 4 {
		t.Fatalf("%d history rows\n%s", len(r)-1, out)
	}
	id := imageID(t, baseEnv, "multilayer")
	if r[1][0] != id[:12] || r[2][0] != "<missing>" || r[3][0] != "<missing>" {
		t.Errorf("ids %q %q %q", r[1][0], r[2][0], r[3][0])
	}
	if !strings.HasPrefix(r[3][2], "rpod test fixture: busybox base layer") || !strings.HasSuffix(r[1][2], "...") || len(r[1][2]) != 45 {
		t.Errorf("CREATED BY column: %q", r)
	}
	for _, row := range r[1:] {
		if !sizeRE.MatchString(row[3]) {
			t.Errorf("size %q", row[3])
		}
	}
	if out := ok(t, baseEnv, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "multilayer"); !strings.HasPrefix(out, "rpod test fixture: whiteout, opaque directory, new file\n") {
		t.Errorf("--no-trunc --format printed %q", out)
	}
	if out := ok(t, baseEnv, "history", "--human=false", "--format", "{{.Size}} {{.Created}}", "busybox"); !regexp.MustCompile(`^[0-9]{6,} 2024-01-01T00:00:00Z\n$`).MatchString(out) {
		t.Errorf("--human=false printed %q", out)
	}
	if out := ok(t, baseEnv, "history", "-q", "multilayer"); out != id[:12]+"\n<missing>\n<missing>\n" {
		t.Errorf("-q printed %q", out)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(ok(t, baseEnv, "image", "history", "--format", "json", "busybox")), &js); err != nil || len(js) != 1 || js[0]["id"] == nil || js[0]["size"] == nil {
		t.Errorf("json history %v %v", js, err)
	}
	wantError(t, rpod(t, "history", "nosuchimage"), 125, "nosuchimage: image not known")
}

func TestImageTree(t *testing.T) {
	out := ok(t, baseEnv, "image", "tree", "multilayer")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	id := imageID(t, baseEnv, "multilayer")
	if len(lines) != 7 || lines[0] != "Image ID: "+id[:12] || lines[1] != "Tags:     ["+regAddr+"/multilayer:latest]" ||
		!strings.HasPrefix(lines[2], "Size:     ") || lines[3] != "Image Layers" {
		t.Fatalf("tree printed\n%s", out)
	}
	layer := regexp.MustCompile(`^(├──|└──)  ID: [0-9a-f]{12} Size: +[0-9.]+[kMG]?B`)
	for _, l := range lines[4:] {
		if !layer.MatchString(l) {
			t.Errorf("layer line %q", l)
		}
	}
	// busybox's only layer is multilayer's base: the tree says so.
	if !strings.HasSuffix(lines[4], "Top Layer of: ["+regAddr+"/busybox:latest]") || !strings.HasSuffix(lines[6], "Top Layer of: ["+regAddr+"/multilayer:latest]") || !strings.HasPrefix(lines[6], "└──") {
		t.Errorf("tree printed\n%s", out)
	}
}
