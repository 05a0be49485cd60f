package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRunUlimit(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--ulimit", "nofile=512:1024", "--ulimit", "core=-1", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c")
	if out != "512\n1024\nunlimited\n" {
		t.Errorf("--ulimit nofile=512:1024 core=-1: got %q", out)
	}
	var own unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &own)
	if out := ok(t, baseEnv, "run", "--rm", "--ulimit", "host", "busybox", "sh", "-c", "ulimit -Hn"); out != fmt.Sprintf("%d\n", own.Max) {
		t.Errorf("--ulimit host: hard nofile %q, want %d", out, own.Max)
	}
	// create records the limits; start applies them.
	ok(t, baseEnv, "create", "--name", "ulimit-create", "--ulimit", "nofile=300", "busybox", "sh", "-c", "ulimit -n")
	defer rpod(t, "rm", "-f", "ulimit-create")
	if out := ok(t, baseEnv, "start", "-a", "ulimit-create"); out != "300\n" {
		t.Errorf("create --ulimit nofile=300, start -a: %q", out)
	}
	wantError(t, rpod(t, "run", "--rm", "--ulimit", "nofile=2048:1024", "busybox", "true"), 125, "soft limit 2048 is above the hard limit 1024")
	wantError(t, rpod(t, "run", "--rm", "--ulimit", "bogus=1", "busybox", "true"), 125, `unknown limit "bogus"`)
	wantError(t, rpod(t, "run", "--rm", "--ulimit", "nofile", "busybox", "true"), 125, "NAME=SOFT[:HARD]")
	// nofile can never be unlimited: above every user's maximum.
	wantError(t, rpod(t, "create", "--ulimit", "nofile=1024:unlimited", "busybox", "true"), 125,
		fmt.Sprintf("--ulimit nofile: the hard limit unlimited is above your maximum of %d", own.Max))
}

func TestRunShmSize(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--shm-size", "1m", "busybox", "grep", " /dev/shm ", "/proc/mounts")
	if !strings.Contains(out, "size=1024k") {
		t.Errorf("--shm-size 1m: %q", out)
	}
	out = ok(t, baseEnv, "run", "--rm", "busybox", "df", "-k", "/dev/shm")
	if !strings.Contains(out, " 65536 ") {
		t.Errorf("default /dev/shm is not 64m:\n%s", out)
	}
	wantError(t, rpod(t, "run", "--rm", "--shm-size", "12x", "busybox", "true"), 125, `invalid --shm-size "12x"`)
	wantError(t, rpod(t, "run", "--rm", "--shm-size", "0", "busybox", "true"), 125, "greater than 0")
	wantError(t, rpod(t, "run", "--rm", "--shm-size", "1m", "--ipc=host", "busybox", "true"), 125, "--shm-size cannot be set with --ipc=host")
}

func TestRunSysctl(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=1048576",
		"busybox", "cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmax")
	if out != "1\n1048576\n" {
		t.Errorf("--sysctl: got %q", out)
	}
	// The uts ones go through sethostname/setdomainname: /proc/sys/kernel's
	// entries belong to the host's root.
	out = ok(t, baseEnv, "run", "--rm", "--sysctl", "kernel.hostname=box", "--sysctl", "kernel.domainname=example.org",
		"--sysctl", "fs.mqueue.msg_max=20", "busybox", "sh", "-c", "hostname; cat /proc/sys/kernel/domainname /proc/sys/fs/mqueue/msg_max")
	if out != "box\nexample.org\n20\n" {
		t.Errorf("--sysctl kernel.hostname, kernel.domainname, fs.mqueue.msg_max: got %q", out)
	}
	wantError(t, rpod(t, "run", "--rm", "--sysctl", "kernel.hostname=a", "--hostname", "b", "busybox", "true"), 125, "conflicts with --hostname b")
	// Still read-only for the container's own writes.
	if r := rpod(t, "run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"); r.Code == 0 {
		t.Errorf("/proc/sys is writable in the container")
	}
	wantError(t, rpod(t, "run", "--rm", "--sysctl", "vm.swappiness=10", "busybox", "true"), 125, "--sysctl vm.swappiness is not allowed: it is not namespaced")
	wantError(t, rpod(t, "run", "--rm", "--sysctl", "kernel.shmmax=1", "--ipc=host", "busybox", "true"), 125, "not allowed with --ipc=host")
	wantError(t, rpod(t, "run", "--rm", "--sysctl", "kernel.hostname=x", "--uts=host", "busybox", "true"), 125, "not allowed with --uts=host")
	wantError(t, rpod(t, "run", "--rm", "--sysctl", "net.ipv4.ip_forward", "busybox", "true"), 125, "use NAME=VALUE")
	// Allowed by name, refused by the kernel when written.
	wantError(t, rpod(t, "run", "--rm", "--sysctl", "net.ipv4.ip_forward=banana", "busybox", "true"), 125, "--sysctl net.ipv4.ip_forward=banana: the kernel refused")
	wantError(t, rpod(t, "run", "--rm", "--sysctl", "net.rpod.none=1", "busybox", "true"), 125, "--sysctl net.rpod.none: this kernel has no such sysctl")
}

func TestRunDevice(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c", "test -c /dev/mynull && echo hi > /dev/mynull && wc -c < /dev/mynull")
	if strings.TrimSpace(out) != "0" {
		t.Errorf("--device /dev/null:/dev/mynull: %q", out)
	}
	wantError(t, rpod(t, "run", "--rm", "--device", "/dev/rpod-none", "busybox", "true"), 125, "--device /dev/rpod-none: no such device on the host")
	wantError(t, rpod(t, "create", "--device", "/etc/hostname", "busybox", "true"), 125, "--device /etc/hostname: not a device node")
	wantError(t, rpod(t, "run", "--rm", "--device", "/dev/null:mynull", "busybox", "true"), 125, `invalid --device "/dev/null:mynull"`)
	wantError(t, rpod(t, "run", "--rm", "--device", "/dev/null:/dev/x:rwx", "busybox", "true"), 125, "not a set of permissions")
	// A device this user may not open is refused, not bound useless.
	for _, d := range []string{"/dev/vda", "/dev/sda", "/dev/mem", "/dev/tty1", "/dev/console"} {
		if _, err := os.Stat(d); err != nil || unix.Access(d, unix.R_OK) == nil || unix.Access(d, unix.W_OK) == nil {
			continue
		}
		wantError(t, rpod(t, "run", "--rm", "--device", d, "busybox", "true"), 125, "--device "+d+": your user cannot open it")
		// --privileged brings only the host devices this user may open.
		out := ok(t, baseEnv, "run", "--rm", "--privileged", "busybox", "ls", "/dev")
		if strings.Contains(" "+strings.Join(strings.Fields(out), " ")+" ", " "+strings.TrimPrefix(d, "/dev/")+" ") {
			t.Errorf("--privileged binds %s, which the user cannot open:\n%s", d, out)
		}
		break
	}
	if unix.Access("/dev/fuse", unix.R_OK|unix.W_OK) == nil {
		ok(t, baseEnv, "run", "--rm", "--privileged", "busybox", "test", "-c", "/dev/fuse")
		if r := rpod(t, "run", "--rm", "busybox", "test", "-e", "/dev/fuse"); r.Code == 0 {
			t.Errorf("/dev/fuse without --privileged or --device")
		}
	}
}

func TestRunHostNamespaces(t *testing.T) {
	self := fmt.Sprintf("/proc/%d/status", os.Getpid())
	ok(t, baseEnv, "run", "--rm", "--pid=host", "busybox", "test", "-f", self)
	if r := rpod(t, "run", "--rm", "--pid=private", "busybox", "test", "-f", self); r.Code == 0 {
		t.Errorf("a private pid namespace sees the test's pid %d", os.Getpid())
	}
	host, _ := os.Hostname()
	if out := ok(t, baseEnv, "run", "--rm", "--uts=host", "busybox", "hostname"); out != host+"\n" {
		t.Errorf("--uts=host: hostname %q, want %q", out, host)
	}
	if out := ok(t, baseEnv, "run", "--rm", "--hostname", "box", "busybox", "hostname"); out != "box\n" {
		t.Errorf("private uts: hostname %q", out)
	}

	// A System V segment of the test's own is in the host's IPC namespace only.
	key := 0x7270_0000 | os.Getpid()&0xffff
	id, err := unix.SysvShmGet(key, 4096, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatalf("create a shm segment: %v", err)
	}
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	check := fmt.Sprintf("awk '$1 == %d {found=1} END {exit !found}' /proc/sysvipc/shm", key)
	ok(t, baseEnv, "run", "--rm", "--ipc=host", "busybox", "sh", "-c", check)
	if r := rpod(t, "run", "--rm", "busybox", "sh", "-c", check); r.Code == 0 {
		t.Errorf("a private IPC namespace sees the host's segment %d", key)
	}
	// And /dev/shm is the host's.
	f, err := os.CreateTemp("/dev/shm", "rpod-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	defer os.Remove(f.Name())
	ok(t, baseEnv, "run", "--rm", "--ipc=host", "busybox", "test", "-f", f.Name())
	if r := rpod(t, "run", "--rm", "busybox", "test", "-e", f.Name()); r.Code == 0 {
		t.Errorf("a private /dev/shm has the host's %s", f.Name())
	}

	// rpod exec joins what the container has of its own and stays in the host's namespaces.
	env := newWorld(t)
	ok(t, env, "run", "-d", "--name", "shared", "--pid=host", "--ipc=host", "--uts=host", "busybox", "sleep", "1000")
	if out := ok(t, env, "exec", "shared", "hostname"); out != host+"\n" {
		t.Errorf("exec --uts=host: hostname %q, want %q", out, host)
	}
	ok(t, env, "exec", "shared", "test", "-f", self)
	ok(t, env, "rm", "-f", "-t", "0", "shared")

	wantError(t, rpod(t, "run", "--rm", "--pid=container:db", "busybox", "true"), 125, "--pid=container:db is not supported")
	wantError(t, rpod(t, "run", "--rm", "--ipc=shareable", "busybox", "true"), 125, `invalid --ipc "shareable": use host or private`)
	wantError(t, rpod(t, "run", "--rm", "--uts=bogus", "busybox", "true"), 125, `invalid --uts "bogus": use host or private`)
	wantError(t, rpod(t, "run", "--rm", "--uts=host", "--hostname", "box", "busybox", "true"), 125, "--hostname cannot be set with --uts=host")
}
