package e2e

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// threeContainers makes one running (up1), one created (made) and one
// exited with code 3 (done), in that order.
func threeContainers(t *testing.T) []string {
	t.Helper()
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "up1", "busybox", "sleep", "1000")
	ok(t, env, "create", "--name", "made", "busybox", "true")
	if r := run(env, nil, "run", "--name", "done", "busybox", "sh", "-c", "exit 3"); r.Code != 3 {
		t.Fatalf("run exit 3: %+v", r)
	}
	return env
}

func TestContainersPs(t *testing.T) {
	env := threeContainers(t)
	out := lines(ok(t, env, "ps"))
	if len(out) != 2 {
		t.Fatalf("ps: want a header and up1:\n%s", strings.Join(out, "\n"))
	}
	if h := strings.Fields(out[0]); strings.Join(h, " ") != "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" {
		t.Errorf("ps header %q", out[0])
	}
	if l := out[1]; !strings.Contains(l, "Up ") || !strings.HasSuffix(l, "up1") || !strings.Contains(l, "sleep 1000") || !strings.Contains(l, "busybox") {
		t.Errorf("ps line %q", l)
	}
	all := ok(t, env, "ps", "-a")
	for _, want := range []string{"Created", "Exited (3) ", "made", "done"} {
		if !strings.Contains(all, want) {
			t.Errorf("ps -a lacks %q:\n%s", want, all)
		}
	}
	if q := lines(ok(t, env, "ps", "-q")); len(q) != 1 || len(q[0]) != 12 {
		t.Errorf("ps -q: %q", q)
	}
	ids := lines(ok(t, env, "ps", "-aq", "--no-trunc"))
	if len(ids) != 3 || len(ids[0]) != 64 {
		t.Errorf("ps -aq --no-trunc: %q", ids)
	}
	names := func(args ...string) string {
		return strings.Join(lines(ok(t, env, append(args, "--format", "{{.Names}}")...)), ",")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ps", "-a"}, "done,made,up1"}, // newest first
		{[]string{"ps", "-l"}, "done"},
		{[]string{"ps", "-n", "2"}, "done,made"},
		{[]string{"ps", "-a", "--sort", "names"}, "done,made,up1"},
		{[]string{"ps", "-a", "--filter", "status=exited"}, "done"},
		{[]string{"ps", "-a", "--filter", "status=created", "--filter", "status=running", "--sort", "names"}, "made,up1"},
		{[]string{"ps", "-a", "--filter", "name=^up"}, "up1"},
		{[]string{"ps", "-a", "--filter", "exited=3"}, "done"},
		{[]string{"ps", "-a", "--filter", "ancestor=busybox"}, "done,made,up1"},
		{[]string{"ps", "-a", "--filter", "ancestor=alpine"}, ""},
		{[]string{"ps", "-a", "--filter", "id=" + ids[2][:8]}, "up1"},
		{[]string{"container", "ls", "-a"}, "done,made,up1"},
		{[]string{"container", "list"}, "up1"},
		{[]string{"container", "ps", "-a", "-f", "status=exited"}, "done"},
	} {
		if got := names(tc.args...); got != tc.want {
			t.Errorf("rpod %s: %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	ok(t, env, "create", "--name", "lab", "--label", "app=web", "busybox", "true")
	for f, want := range map[string]string{"label=app": "lab", "label=app=web": "lab", "label=app=db": "", "label=other": ""} {
		if got := names("ps", "-a", "--filter", f); got != want {
			t.Errorf("ps --filter %s: %q, want %q", f, got, want)
		}
	}
	if out := ok(t, env, "inspect", "--format", "{{.Config.Labels.app}}", "lab"); out != "web\n" {
		t.Errorf("inspect labels: %q", out)
	}
	ok(t, env, "rm", "lab")
	wantError(t, run(env, nil, "ps", "--filter", "color=red"), 125, "invalid filter")
	wantError(t, run(env, nil, "ps", "--sort", "colour"), 125, "invalid --sort")

	tbl := lines(ok(t, env, "ps", "--format", "table {{.ID}}\t{{.Names}}"))
	if len(tbl) != 2 || strings.Join(strings.Fields(tbl[0]), " ") != "CONTAINER ID NAMES" {
		t.Errorf("table format: %q", tbl)
	}
	if s := lines(ok(t, env, "ps", "-s")); !strings.HasSuffix(strings.TrimSpace(s[0]), "SIZE") || !strings.Contains(s[1], "virtual") {
		t.Errorf("ps -s: %q", s)
	}
	// The writable layer's size counts what the container wrote.
	ok(t, env, "run", "--name", "sized", "busybox", "sh", "-c", "head -c 300000 /dev/zero > /big")
	var sized []struct {
		Names []string
		Size  struct{ RwSize int64 }
	}
	if err := json.Unmarshal([]byte(ok(t, env, "ps", "-a", "-s", "--filter", "name=sized", "--format", "json")), &sized); err != nil || len(sized) != 1 || sized[0].Size.RwSize < 300000 {
		t.Errorf("ps -a -s of a container that wrote 300000 bytes: %+v %v", sized, err)
	}
	ok(t, env, "rm", "sized")
	var js []map[string]any
	if err := json.Unmarshal([]byte(ok(t, env, "ps", "-a", "--format", "json")), &js); err != nil || len(js) != 3 {
		t.Fatalf("ps --format json: %v %d", err, len(js))
	}
	for _, k := range []string{"Id", "Names", "Image", "ImageID", "Command", "Created", "State", "Status", "ExitCode", "Pid", "Exited", "StartedAt"} {
		if _, ok := js[0][k]; !ok {
			t.Errorf("ps json lacks %s: %v", k, js[0])
		}
	}
	if js[0]["State"] != "exited" || js[0]["ExitCode"] != 3.0 || js[2]["State"] != "running" || js[2]["Pid"].(float64) <= 0 {
		t.Errorf("ps json: %v", js)
	}
}

func TestContainersInspect(t *testing.T) {
	env := threeContainers(t)
	var d []struct {
		Id, Path, Image, ImageName, Name, LogPath string
		Args                                      []string
		State                                     struct {
			Status   string
			Running  bool
			Pid      int
			ExitCode int
		}
		Config struct {
			Cmd        []string
			Env        []string
			StopSignal string
			WorkingDir string
			Labels     map[string]string
		}
		HostConfig struct{ AutoRemove bool }
	}
	if err := json.Unmarshal([]byte(ok(t, env, "inspect", "up1", "done")), &d); err != nil || len(d) != 2 {
		t.Fatalf("inspect: %v %d", err, len(d))
	}
	up, done := d[0], d[1]
	if up.Name != "up1" || up.Path != "sleep" || strings.Join(up.Args, " ") != "1000" || !up.State.Running || up.State.Status != "running" || up.State.Pid <= 0 || len(up.Id) != 64 {
		t.Errorf("inspect up1: %+v", up)
	}
	if !strings.Contains(up.ImageName, "busybox") || len(up.Image) != 64 || strings.Join(up.Config.Cmd, " ") != "sleep 1000" || up.Config.StopSignal == "" || up.LogPath == "" || len(up.Config.Env) == 0 {
		t.Errorf("inspect up1 config: %+v", up)
	}
	if done.State.Status != "exited" || done.State.ExitCode != 3 || done.State.Running {
		t.Errorf("inspect done: %+v", done.State)
	}
	if out := ok(t, env, "inspect", "--format", "{{.State.Status}} {{.Name}}", "made"); out != "created made\n" {
		t.Errorf("inspect --format: %q", out)
	}
	// {{.Id}}, the JSON's key, as docker's and podman's scripts write it; {{.ID}} too.
	if out := ok(t, env, "inspect", "--format", "{{.Id}} {{.ID}}", "up1"); out != up.Id+" "+up.Id+"\n" {
		t.Errorf("inspect --format {{.Id}} {{.ID}}: %q, want %s twice", out, up.Id)
	}
	if out := ok(t, env, "container", "inspect", "-f", "{{.HostConfig.AutoRemove}}", "up1"); out != "false\n" {
		t.Errorf("container inspect: %q", out)
	}
	if out := ok(t, env, "container", "inspect", "-l", "--format", "{{.Name}}"); out != "done\n" {
		t.Errorf("container inspect -l: %q", out)
	}
	// A name that is no container is looked up as an image.
	if out := ok(t, env, "inspect", "--format", "{{.RepoTags}}", "busybox"); !strings.Contains(out, "busybox") {
		t.Errorf("inspect image: %q", out)
	}
	wantError(t, run(env, nil, "inspect", "--type", "container", "busybox"), 125, "no such container")
	wantError(t, run(env, nil, "inspect", "--type", "image", "up1"), 125, "image not known")
	wantError(t, run(env, nil, "inspect", "nosuchthing"), 125, "no such object")
	wantError(t, run(env, nil, "container", "inspect", "busybox"), 125, "no such container")
}

func TestContainersInspectEntrypoint(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "create", "--name", "ep", "--entrypoint", "/bin/sh", "busybox", "-c", "true")
	if out := ok(t, env, "inspect", "--format", "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Path}}", "ep"); out != `["/bin/sh"] ["-c","true"] /bin/sh`+"\n" {
		t.Errorf("inspect entrypoint and cmd: %q", out)
	}
}

func TestContainersInspectHostConfig(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "create", "--name", "hc", "--restart", "on-failure:3", "--stop-timeout", "5", "--userns=keep-id",
		"--pid=host", "--uts=host", "--ulimit", "nofile=100:200", "--shm-size", "1m", "--group-add", "7",
		"--security-opt", "no-new-privileges", "busybox", "true")
	f := "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.Config.StopTimeout}} " +
		"{{.HostConfig.UsernsMode}} {{.HostConfig.PidMode}} {{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}} " +
		"{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}} {{.HostConfig.ShmSize}} {{.HostConfig.GroupAdd}} " +
		"{{.HostConfig.SecurityOpt}} {{.RestartCount}}"
	want := "on-failure 3 5 keep-id host private host RLIMIT_NOFILE=100:200 1048576 [7] [no-new-privileges] 0\n"
	if out := ok(t, env, "inspect", "--format", f, "hc"); out != want {
		t.Errorf("inspect host config:\n got %q\nwant %q", out, want)
	}
	host, _ := os.Hostname()
	if out := ok(t, env, "inspect", "--format", "{{.Config.Hostname}}", "hc"); out != host+"\n" {
		t.Errorf("--uts=host: inspect hostname %q, want %q", out, host)
	}
}

func TestContainersRenameExists(t *testing.T) {
	env := threeContainers(t)
	if out := ok(t, env, "rename", "made", "fresh"); out != "" {
		t.Errorf("rename printed %q", out)
	}
	if out := ok(t, env, "inspect", "--format", "{{.Name}}", "fresh"); out != "fresh\n" {
		t.Errorf("renamed container is %q", out)
	}
	if psLine(t, env, "fresh") == "" || psLine(t, env, "made") != "" {
		t.Errorf("ps does not show the new name:\n%s", ok(t, env, "ps", "-a"))
	}
	ok(t, env, "container", "rename", "up1", "up2") // a running container too
	wantError(t, run(env, nil, "rename", "fresh", "done"), 125, `name "done" is already in use`)
	wantError(t, run(env, nil, "rename", "fresh", "no/slash"), 125, "invalid container name")
	wantError(t, run(env, nil, "rename", "gone", "x"), 125, "no container")
	if r := run(env, nil, "container", "exists", "fresh"); r.Code != 0 || r.Out != "" || r.Err != "" {
		t.Errorf("exists fresh: %+v", r)
	}
	if r := run(env, nil, "container", "exists", "made"); r.Code != 1 || r.Out != "" || r.Err != "" {
		t.Errorf("exists made: %+v", r)
	}
	ok(t, env, "stop", "-t", "0", "up2")
}

func TestContainersRmPrune(t *testing.T) {
	env := threeContainers(t)
	wantError(t, run(env, nil, "rm", "up1"), 2, "up1")
	if r := run(env, nil, "rm", "up1"); !strings.Contains(r.Err, "rm -f") {
		t.Errorf("rm of a running container does not name -f: %q", r.Err)
	}
	ok(t, env, "run", "-d", "--name", "up2", "busybox", "sleep", "1000")
	if out := ok(t, env, "rm", "-f", "--volumes", "up2"); out != "up2\n" {
		t.Errorf("rm -f printed %q", out)
	}
	if r := run(env, nil, "container", "exists", "up2"); r.Code != 1 {
		t.Errorf("up2 survived rm -f")
	}
	if out := ok(t, env, "rm", "-i", "nosuch"); out != "" {
		t.Errorf("rm -i printed %q", out)
	}
	ids := lines(ok(t, env, "ps", "-aq", "--no-trunc", "--filter", "status=exited", "--filter", "status=created"))
	if r := run(env, strings.NewReader("n\n"), "container", "prune"); r.Code != 0 || !strings.Contains(r.Out, "Are you sure") || len(lines(ok(t, env, "ps", "-aq"))) != 3 {
		t.Errorf("prune answered no: %+v", r)
	}
	out := lines(ok(t, env, "container", "prune", "-f"))
	slices.Sort(out)
	slices.Sort(ids)
	if len(ids) != 2 || !slices.Equal(out, ids) {
		t.Errorf("prune printed %q, want %q", out, ids)
	}
	if names := strings.TrimSpace(ok(t, env, "ps", "-a", "--format", "{{.Names}}")); names != "up1" {
		t.Errorf("after prune: %q", names)
	}
	if out := lines(ok(t, env, "container", "rm", "-af", "-t", "0")); len(out) != 1 || len(out[0]) != 64 {
		t.Errorf("rm -af printed %q", out)
	}
}

func TestContainersRestart(t *testing.T) {
	env := threeContainers(t)
	pid := ok(t, env, "inspect", "--format", "{{.State.Pid}}", "up1")
	if out := ok(t, env, "restart", "-t", "0", "up1"); out != "up1\n" {
		t.Errorf("restart printed %q", out)
	}
	if out := ok(t, env, "inspect", "--format", "{{.State.Status}} {{.State.Pid}}", "up1"); !strings.HasPrefix(out, "running ") || strings.HasSuffix(out, " "+pid) {
		t.Errorf("after restart: %q (pid before %q)", out, pid)
	}
	if out := ok(t, env, "container", "restart", "done"); out != "done\n" {
		t.Errorf("restart of an exited container printed %q", out)
	}
	waitUntil(t, "done to exit 3 again", func() bool {
		return strings.Contains(ok(t, env, "ps", "-a", "--filter", "name=done", "--format", "{{.Status}}"), "Exited (3)")
	})
	ok(t, env, "stop", "-t", "0", "up1")
}

func TestContainersTop(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "tops", "-u", "nobody", "busybox", "sh", "-c", "sleep 1000 & sleep 2000 & wait")
	var out []string
	settled := func() bool { // sh has forked both and each has exec'd sleep
		return len(out) == 4 && strings.Count(strings.Join(out, "\n"), "  sleep ") == 2
	}
	for i := 0; i < 100 && !settled(); i++ {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		out = lines(ok(t, env, "top", "tops"))
	}
	if !settled() {
		t.Fatalf("top does not show sh and its two sleeps:\n%s", strings.Join(out, "\n"))
	}
	if h := strings.Join(strings.Fields(out[0]), " "); h != "USER PID PPID %CPU ELAPSED TTY TIME COMMAND" {
		t.Errorf("top header %q", out[0])
	}
	first := strings.Fields(out[1])
	if first[0] != "nobody" || first[1] != "1" || first[2] != "0" || first[5] != "?" || !strings.Contains(out[1], "sh -c sleep 1000 & sleep 2000 & wait") {
		t.Errorf("top first process %q", out[1])
	}
	for _, l := range out[2:] {
		if f := strings.Fields(l); f[0] != "nobody" || f[2] != "1" || f[7] != "sleep" {
			t.Errorf("top child %q", l)
		}
	}
	custom := lines(ok(t, env, "container", "top", "tops", "pid,comm", "%U"))
	if strings.Join(strings.Fields(custom[0]), " ") != "PID COMMAND USER" || strings.Join(strings.Fields(custom[1]), " ") != "1 sh nobody" {
		t.Errorf("top pid,comm %%U: %q", custom)
	}
	wantError(t, run(env, nil, "top", "tops", "bogus"), 125, "unknown top descriptor")
	ok(t, env, "stop", "-t", "0", "tops")
	wantError(t, run(env, nil, "top", "tops"), 125, "running containers")
}

func TestContainersParent(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	id := strings.TrimSpace(ok(t, env, "container", "create", "--name", "p", "busybox", "sh", "-c", "echo hi; sleep 1000"))
	if out := ok(t, env, "container", "start", "p"); out != "p\n" {
		t.Errorf("container start printed %q", out)
	}
	waitUntil(t, "the log", func() bool { return ok(t, env, "container", "logs", "p") == "hi\n" })
	ok(t, env, "container", "kill", "-s", "KILL", "p")
	if out := ok(t, env, "container", "wait", "p"); out != "137\n" {
		t.Errorf("container wait printed %q", out)
	}
	ok(t, env, "container", "stop", "p")
	if out := ok(t, env, "container", "rm", "p"); out != "p\n" {
		t.Errorf("container rm printed %q", out)
	}
	if r := run(env, nil, "container", "exists", id); r.Code != 1 {
		t.Errorf("container p survived rm")
	}
}
