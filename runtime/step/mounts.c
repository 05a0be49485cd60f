// The container's root: the rootfs with its own proc, dev and sys, the
// user's volumes and devices, /etc files, --init, the terminal, and the
// pivot_root into it; then the masked and read-only paths.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "step.h"

#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#define CGROUP2_SUPER_MAGIC 0x63677270

#define SECURE (MS_NOSUID | MS_NODEV | MS_NOEXEC)

// The flags a remount keeps from the mount as it is: the kernel refuses to
// clear those it locked on a mount in a user namespace.
#define KEEP_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)

// target returns root+p, creating it as a directory (or an empty file) when
// the image lacks it, and refusing a symlink: a mount must never follow an
// image's link out of the rootfs. NULL with err set on failure.
static char *target(const char *root, const char *p, int dir, char *err, size_t errlen) {
	char *t = path_join(root, p);
	struct stat st;
	if (lstat(t, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			snprintf(err, errlen, "mount target %s is a symlink in the image: refusing to follow it", p);
			return NULL;
		}
		return t;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "mount target %s: lstat %s: %s", p, t, errstr(errno));
		return NULL;
	}
	if (dir) {
		if (mkdir_all(t, 0755) < 0) {
			snprintf(err, errlen, "create mount target %s: %s", p, mkdir_error);
			return NULL;
		}
		return t;
	}
	char *parent = path_join(t, "..");
	if (mkdir_all(parent, 0755) < 0) {
		snprintf(err, errlen, "create mount target %s: %s", p, mkdir_error);
		return NULL;
	}
	int fd = open(t, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "create mount target %s: open %s: %s", p, t, errstr(errno));
		return NULL;
	}
	close(fd);
	return t;
}

static char *must_target(const char *root, const char *p, int dir) {
	char err[PATH_ERR_MAX];
	char *t = target(root, p, dir, err, sizeof err);
	if (t == NULL)
		die(EXIT_RPOD, "%s", err);
	return t;
}

// mount_at mounts fstype on p in root; -1 with err set on failure.
static int mount_at(const char *root, const char *p, const char *fstype, const char *source, unsigned long flags, const char *data,
                    char *err, size_t errlen) {
	char *t = target(root, p, 1, err, errlen);
	if (t == NULL)
		return -1;
	if (mount(source, t, fstype, flags, data) < 0) {
		snprintf(err, errlen, "mount %s on %s: %s", fstype, p, errstr(errno));
		return -1;
	}
	return 0;
}

static void must_mount_at(const char *root, const char *p, const char *fstype, const char *source, unsigned long flags, const char *data) {
	char err[PATH_ERR_MAX];
	if (mount_at(root, p, fstype, source, flags, data, err, sizeof err) < 0)
		die(EXIT_RPOD, "%s", err);
}

// remount remounts the bind mount p with the flags of keep it has now and
// add; -1 with errno set on failure.
static int remount(const char *p, unsigned long keep, unsigned long add) {
	struct statfs st;
	if (statfs(p, &st) < 0)
		return -1;
	return mount("", p, "", MS_BIND | MS_REMOUNT | ((unsigned long)st.f_flags & keep) | add, "");
}

// remount_bind remounts the bind mount p with flags added to its own.
static void remount_bind(const char *p, unsigned long flags) {
	if (remount(p, KEEP_FLAGS | MS_RDONLY, flags) < 0)
		die(EXIT_RPOD, "remount %s: %s", p, errstr(errno));
}

// remount_ro makes the bind mount p read-only.
static void remount_ro(const char *p) {
	if (remount(p, KEEP_FLAGS, MS_RDONLY) < 0)
		die(EXIT_RPOD, "remount %s read-only: %s", p, errstr(errno));
}

// bind_at binds the host directory src, with what is mounted under it, on p.
static void bind_at(const char *root, const char *p, const char *src) {
	char *t = must_target(root, p, 1);
	if (mount(src, t, "", MS_BIND | MS_REC, "") < 0)
		die(EXIT_RPOD, "bind the host's %s on %s: %s", src, p, errstr(errno));
	remount_bind(t, SECURE); // as the container's own proc, shm and mqueue would be
}

// open_target opens the mount target dst in root (real, no symlink in it)
// as O_PATH, creating it like the source (a directory or a file), after
// resolving dst's symlinks inside root; its resolved path goes to *path.
// -1 with err set (and errno kept) on failure.
static int open_target(const char *root, const char *dst, int dir, char **path, char *err, size_t errlen) {
	char rerr[PATH_ERR_MAX];
	char *t = resolve_in(root, dst, rerr, sizeof rerr);
	if (t == NULL) {
		snprintf(err, errlen, "mount target %s: %s", dst, rerr);
		return -1;
	}
	struct stat st;
	if (lstat(t, &st) < 0 && errno == ENOENT) {
		char *parent = path_join(t, "..");
		if (mkdir_all(parent, 0755) < 0) {
			int e = errno;
			snprintf(err, errlen, "create mount target %s: %s", dst, mkdir_error);
			errno = e;
			return -1;
		}
		int r;
		const char *op = "mkdir";
		if (dir) {
			r = mkdir(t, 0755);
		} else {
			op = "open";
			r = open(t, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (r >= 0)
				close(r);
		}
		if (r < 0 && errno != EEXIST) {
			int e = errno;
			snprintf(err, errlen, "create mount target %s: %s %s: %s", dst, op, t, errstr(e));
			errno = e;
			return -1;
		}
	}
	int fd = open(t, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "open mount target %s: open %s: %s", dst, t, errstr(e));
		errno = e;
		return -1;
	}
	char link[64], got[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, got, sizeof got - 1);
	if (n < 0 || ((got[n] = '\0'), strcmp(got, t) != 0)) {
		close(fd);
		snprintf(err, errlen, "mount target %s changed while rpod set it up: refusing it", dst);
		errno = EINVAL;
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "mount target %s: %s", dst, errstr(e));
		errno = e;
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "mount target %s is a symlink: refusing to follow it", dst);
		errno = ELOOP;
		return -1;
	}
	if (!!S_ISDIR(st.st_mode) != !!dir) {
		close(fd);
		snprintf(err, errlen, "mount target %s in the image is not %s like the source", dst, dir ? "a directory" : "a file");
		errno = EINVAL;
		return -1;
	}
	*path = t;
	return fd;
}

static int must_open_target(const char *root, const char *dst, int dir, char **path) {
	char err[PATH_ERR_MAX];
	int fd = open_target(root, dst, dir, path, err, sizeof err);
	if (fd < 0)
		die(EXIT_RPOD, "%s", err);
	return fd;
}

static const char *proc_fd(int fd) {
	static char b[4][64];
	static int next;
	char *p = b[next++ % 4];
	snprintf(p, sizeof b[0], "/proc/self/fd/%d", fd);
	return p;
}

// real_root is the rootfs's path with its symlinks resolved, as the
// targets' /proc/self/fd links read.
static char *real_root(const char *root) {
	char *r = realpath(root, NULL);
	if (r == NULL)
		die(EXIT_RPOD, "rootfs: %s", errstr(errno));
	return xtrack(r);
}

// The devices bound from the host: a user namespace may not mknod.
static const char *const host_devices[] = {"null", "zero", "full", "random", "urandom", "tty"};

static void mount_ipc(const char *root, const struct spec *s) {
	if (s->host_ipc) {
		// The host's IPC namespace belongs to the initial user namespace:
		// its mqueue cannot be mounted from ours, so the host's is bound.
		static const char *const ps[] = {"/dev/shm", "/dev/mqueue"};
		for (size_t i = 0; i < 2; i++) {
			struct stat st;
			if (stat(ps[i], &st) < 0 || !S_ISDIR(st.st_mode))
				continue; // a host without it: the container has none either
			bind_at(root, ps[i], ps[i]);
		}
		return;
	}
	must_mount_at(root, "/dev/shm", "tmpfs", "shm", SECURE, s->shm_data ? s->shm_data : "mode=1777,size=67108864");
	must_mount_at(root, "/dev/mqueue", "mqueue", "mqueue", SECURE, "");
}

static void mount_dev(const char *root, const struct spec *s) {
	must_mount_at(root, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	char *dev = path_join(root, "dev");
	for (size_t i = 0; i < sizeof host_devices / sizeof host_devices[0]; i++) {
		char *p = xasprintf("/dev/%s", host_devices[i]);
		char *t = must_target(root, p, 0);
		if (mount(p, t, "", MS_BIND, "") < 0)
			die(EXIT_RPOD, "bind /dev/%s: %s", host_devices[i], errstr(errno));
	}
	// gid=5 (tty) is mapped only when the user has subordinate ranges.
	char err[PATH_ERR_MAX];
	if (mount_at(root, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", err, sizeof err) < 0 &&
	    mount("devpts", path_join(dev, "pts"), "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		die(EXIT_RPOD, "mount devpts: %s", errstr(errno));
	mount_ipc(root, s);
	static const char *const links[][2] = {{"pts/ptmx", "ptmx"},        {"/proc/self/fd", "fd"},         {"/proc/self/fd/0", "stdin"},
	                                       {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		char *l = path_join(dev, links[i][1]);
		if (symlink(links[i][0], l) < 0)
			die(EXIT_RPOD, "create /dev/%s: symlink %s %s: %s", links[i][1], links[i][0], l, errstr(errno));
	}
}

static void mount_devices(const char *root, const struct spec *s) {
	if (s->ndevices == 0)
		return;
	char *real = real_root(root);
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct device_spec *d = &s->devices[i];
		struct stat st;
		if (stat(d->source, &st) < 0) {
			if (d->optional)
				continue;
			die(EXIT_RPOD, "--device %s: %s: is the device still there?", d->source, errstr(errno));
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
			if (d->optional)
				continue;
			die(EXIT_RPOD, "--device %s: not a device node", d->source);
		}
		char err[PATH_ERR_MAX], *t;
		int fd = open_target(real, d->dest, 0, &t, err, sizeof err);
		if (fd < 0) {
			if (d->optional)
				continue;
			die(EXIT_RPOD, "%s", err);
		}
		if (mount(d->source, proc_fd(fd), "", MS_BIND, "") < 0 && !d->optional)
			die(EXIT_RPOD, "--device %s: bind on %s: %s", d->source, d->dest, errstr(errno));
		close(fd);
	}
}

static void mount_sys(const char *root) {
	char err[PATH_ERR_MAX];
	if (mount_at(root, "/sys", "sysfs", "sysfs", SECURE | MS_RDONLY, "", err, sizeof err) == 0) {
		struct statfs st;
		if (statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
			// Best effort: the container's cgroup namespace shows its own subtree.
			mount("cgroup2", path_join(root, "sys/fs/cgroup"), "cgroup2", SECURE | MS_RDONLY, "");
		return;
	}
	// sysfs needs a network namespace we own; else the host's, read-only.
	char *t = path_join(root, "sys");
	if (mount("/sys", t, "", MS_BIND | MS_REC, "") < 0)
		die(EXIT_RPOD, "bind /sys: %s", errstr(errno));
	remount_ro(t);
}

// mount_one mounts one of the user's volumes on the real root.
static void mount_one(const char *root, const struct mount_spec *m) {
	unsigned long flags = m->flags;
	char *t;
	if (strcmp(m->type, "tmpfs") == 0) {
		int fd = must_open_target(root, m->dest, 1, &t);
		if (m->readonly)
			flags |= MS_RDONLY;
		if (mount("tmpfs", proc_fd(fd), "tmpfs", flags, m->data) < 0)
			die(EXIT_RPOD, "mount tmpfs on %s: %s", m->dest, errstr(errno));
		close(fd);
		return;
	}
	if (strcmp(m->type, "bind") == 0) {
		struct stat st;
		if (stat(m->source, &st) < 0)
			die(EXIT_RPOD, "statfs %s: %s", m->source, errstr(errno));
		int fd = must_open_target(root, m->dest, S_ISDIR(st.st_mode), &t);
		if (mount(m->source, proc_fd(fd), "", MS_BIND | MS_REC, "") < 0)
			die(EXIT_RPOD, "bind %s on %s: %s", m->source, m->dest, errstr(errno));
		if (m->readonly)
			flags |= MS_RDONLY;
		if (flags != 0)
			remount_bind(t, flags);
		close(fd);
		return;
	}
	die(EXIT_RPOD, "unknown mount type \"%s\" for %s", m->type, m->dest);
}

static void mount_user(const char *root, const struct spec *s) {
	if (s->nmounts == 0 && !s->readonly)
		return;
	char *real = real_root(root);
	// Shallower destinations first, each depth in the user's order: a
	// volume on /a/b must land on the one on /a, not under it.
	int maxd = 0;
	for (size_t i = 0; i < s->nmounts; i++)
		if (path_depth(s->mounts[i].dest) > maxd)
			maxd = path_depth(s->mounts[i].dest);
	for (int d = 0; d <= maxd; d++)
		for (size_t i = 0; i < s->nmounts; i++)
			if (path_depth(s->mounts[i].dest) == d)
				mount_one(real, &s->mounts[i]);
	if (s->readonly)
		remount_ro(root);
}

static void mount_init(const char *root, const struct spec *s) {
	if (s->init_path == NULL)
		return;
	char *real = real_root(root), *t, err[PATH_ERR_MAX];
	int fd = open_target(real, INIT_MOUNT_POINT, 0, &t, err, sizeof err);
	if (fd < 0)
		die(EXIT_RPOD, "--init: %s", err);
	if (mount(s->init_path, proc_fd(fd), "", MS_BIND, "") < 0)
		die(EXIT_RPOD, "--init: bind %s on %s: %s (is it still installed?)", s->init_path, INIT_MOUNT_POINT, errstr(errno));
	remount_bind(t, MS_RDONLY | MS_NOSUID | MS_NODEV);
	close(fd);
}

// user_mounted: the user's volumes include dst, whose own file wins.
static int user_mounted(const struct spec *s, const char *dst) {
	for (size_t i = 0; i < s->nmounts; i++) {
		char *c = path_clean(s->mounts[i].dest);
		if (strcmp(c, dst) == 0)
			return 1;
	}
	return 0;
}

// mount_etc_files binds /etc/hosts, /etc/resolv.conf and /etc/hostname
// from the container's own directory; a --read-only rootfs is made
// writable for as long as it takes to create a missing target.
static void mount_etc_files(const char *root, const struct spec *s) {
	if (s->etc_files.n == 0 || s->etc_dir == NULL)
		return;
	char *real = real_root(root);
	int rw = 0;
	for (size_t i = 0; i < s->etc_files.n; i++) {
		const char *dst = s->etc_files.v[i];
		if (user_mounted(s, dst))
			continue;
		const char *base = strrchr(dst, '/') ? strrchr(dst, '/') + 1 : dst;
		char *src = path_join(s->etc_dir, base), *t, err[PATH_ERR_MAX];
		int fd = open_target(real, dst, 0, &t, err, sizeof err);
		if (fd < 0 && s->readonly && !rw && errno == EROFS) {
			if (remount(root, KEEP_FLAGS, 0) < 0)
				die(EXIT_RPOD, "remount %s writable to add /etc files: %s", root, errstr(errno));
			rw = 1;
			fd = open_target(real, dst, 0, &t, err, sizeof err);
		}
		if (fd < 0)
			die(EXIT_RPOD, "%s", err);
		if (mount(src, proc_fd(fd), "", MS_BIND, "") < 0)
			die(EXIT_RPOD, "bind %s: %s", dst, errstr(errno));
		close(fd);
	}
	if (rw)
		remount(root, KEEP_FLAGS, MS_RDONLY); // best effort, as the Go step did
}

// setup_terminal creates the container's pty in its own devpts, so that
// the tty the command sees is its own, and sends the master to rpod.
void setup_terminal(const char *root, const struct spec *s) {
	char *ptmx = path_join(root, "dev/pts/ptmx");
	int master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die(EXIT_RPOD, "open pty master: open %s: %s", ptmx, errstr(errno));
	int unlock = 0, n;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		die(EXIT_RPOD, "unlock pty: %s", errstr(errno));
	if (ioctl(master, TIOCGPTN, &n) < 0)
		die(EXIT_RPOD, "pty number: %s", errstr(errno));
	char *slave_path = path_join(root, xasprintf("dev/pts/%d", n));
	int slave = open(slave_path, O_RDWR | O_NOCTTY);
	if (slave < 0)
		die(EXIT_RPOD, "open pty slave: %s", errstr(errno));
	char *console = must_target(root, "/dev/console", 0);
	if (mount(slave_path, console, "", MS_BIND, "") < 0)
		die(EXIT_RPOD, "bind /dev/console: %s", errstr(errno));
	for (int fd = 0; fd < 3; fd++)
		if (dup3(slave, fd, 0) < 0)
			die(EXIT_RPOD, "attach pty: %s", errstr(errno));
	close(slave);
	setsid(); // already a session leader when rpod asked for Setsid
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		die(EXIT_RPOD, "set controlling terminal: %s", errstr(errno));
	send_pty(master, s);
	close(master);
}

// exec_terminal is setup_terminal for rpod exec -t, in the container's
// own devpts; the pty belongs to the command's user.
void exec_terminal(const struct spec *s, uint32_t uid) {
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die(EXIT_RPOD, "open the container's /dev/ptmx: %s", errstr(errno));
	int unlock = 0, n;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		die(EXIT_RPOD, "unlock pty: %s", errstr(errno));
	if (ioctl(master, TIOCGPTN, &n) < 0)
		die(EXIT_RPOD, "pty number: %s", errstr(errno));
	char path[64];
	snprintf(path, sizeof path, "/dev/pts/%d", n);
	int slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die(EXIT_RPOD, "open pty slave: %s", errstr(errno));
	if (fchown(slave, uid, (gid_t)-1) < 0) {
		// As before: a pty the user cannot own still works for reading and writing.
	}
	for (int fd = 0; fd < 3; fd++)
		if (dup3(slave, fd, 0) < 0)
			die(EXIT_RPOD, "attach pty: %s", errstr(errno));
	close(slave);
	if (setsid() < 0)
		die(EXIT_RPOD, "new session: %s", errstr(errno));
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		die(EXIT_RPOD, "set controlling terminal: %s", errstr(errno));
	send_pty(master, s);
	close(master);
}

// pivot makes root the process's root: pivot_root(".", ".") stacks the old
// root under the new one, and detaching it leaves no path to the host's tree.
void pivot(const char *root) {
	if (chdir(root) < 0)
		die(EXIT_RPOD, "enter rootfs: %s", errstr(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die(EXIT_RPOD, "pivot_root: %s", errstr(errno));
	if (umount2(".", MNT_DETACH) < 0)
		die(EXIT_RPOD, "detach old root: %s", errstr(errno));
	if (chdir("/") < 0)
		die(EXIT_RPOD, "enter rootfs: %s", errstr(errno));
}

void init_mounts(struct spec *s) {
	if (mount("", "/", "", MS_REC | MS_PRIVATE, "") < 0)
		die(EXIT_RPOD, "make mounts private: %s", errstr(errno));
	const char *root = s->rootfs;
	if (s->tree_fd >= 0) {
		// Prestarted: rpod mounted the rootfs after this namespace was
		// cloned, and sent a clone of that mount.
		if (syscall(SYS_move_mount, s->tree_fd, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die(EXIT_RPOD, "attach rootfs: %s", errstr(errno));
		close(s->tree_fd);
	}
	if (mount(root, root, "", MS_BIND | MS_REC, "") < 0)
		die(EXIT_RPOD, "bind rootfs: %s", errstr(errno));
	if (s->host_pid)
		// The host's pid namespace belongs to the initial user namespace:
		// no proc of it can be mounted from ours, so the host's is bound.
		bind_at(root, "/proc", "/proc");
	else
		must_mount_at(root, "/proc", "proc", "proc", SECURE, "");
	mount_dev(root, s);
	mount_devices(root, s);
	mount_sys(root);
	mount_user(root, s);
	mount_init(root, s);
	mount_etc_files(root, s);
	if (s->terminal)
		setup_terminal(root, s);
	pivot(root);
}

// mask_paths hides the kernel interfaces a container has no business
// reading or writing and makes others read-only (rpod sends both lists).
void mask_paths(const struct spec *s) {
	for (size_t i = 0; i < s->masked.n; i++) {
		const char *p = s->masked.v[i];
		struct stat st;
		if (stat(p, &st) < 0) {
			if (errno == ENOENT)
				continue;
			die(EXIT_RPOD, "mask %s: stat %s: %s", p, p, errstr(errno));
		}
		int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY | SECURE, "size=0") : mount("/dev/null", p, "", MS_BIND, "");
		if (r < 0)
			die(EXIT_RPOD, "mask %s: %s", p, errstr(errno));
	}
	for (size_t i = 0; i < s->readonly_paths.n; i++) {
		const char *p = s->readonly_paths.v[i];
		struct stat st;
		if (stat(p, &st) < 0)
			continue;
		if (mount(p, p, "", MS_BIND | MS_REC, "") < 0)
			die(EXIT_RPOD, "bind %s: %s", p, errstr(errno));
		remount_ro(p);
	}
}
