// The rootless namespace join runs here, before the Go runtime starts: setns
// into a user namespace is refused to a multi-threaded process, and a Go
// program has several threads from its first instruction.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "join.h"

char rpod_join_error[256];
int rpod_joined_uid = -1;
int rpod_joined_gid = -1;

// command_words finds the command and its first argument (the subcommand
// of a group) on rpod's command line; *help is set for --help, -h and
// --version, which run no command.
static void command_words(int argc, char **argv, const char **cmd, const char **sub, int *help) {
	*cmd = *sub = NULL;
	*help = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*help = 1;
			return;
		}
		// -v is --version only before the command: after it, it is run's --volume.
		if (*cmd == NULL && (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0)) {
			*help = 1;
			return;
		}
		if (a[0] == '-') {
			// Global flags that take a separate value.
			if (*cmd == NULL && strchr(a, '=') == NULL &&
			    (strcmp(a, "--root") == 0 || strcmp(a, "--runroot") == 0 || strcmp(a, "--storage-driver") == 0 ||
			     strcmp(a, "--storage-opt") == 0 || strcmp(a, "--log-level") == 0))
				i++;
			continue;
		}
		if (*cmd == NULL)
			*cmd = a;
		else {
			*sub = a;
			return;
		}
	}
}

// skip_join is true for commands that must not or need not enter the
// namespace: they either work outside it or manage the pause process itself.
static int skip_join(int argc, char **argv, const char *cmd, const char *sub, int help) {
	// As a systemd user generator rpod only reads Quadlet files: no store.
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : (argc > 0 ? argv[0] : "");
	if (strcmp(base, "rpod-user-generator") == 0)
		return 1;
	if (help || cmd == NULL)
		return 1;
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "help") == 0 || strcmp(cmd, "completion") == 0 ||
	    strcmp(cmd, "__complete") == 0)
		return 1;
	if (strcmp(cmd, "systemd") == 0) // Quadlet files to units: no store
		return 1;
	if (strcmp(cmd, "system") == 0 && sub != NULL && (strcmp(sub, "migrate") == 0 || strcmp(sub, "check") == 0))
		return 1;
	return 0;
}

// rpod_runtime_dir mirrors userns.RuntimeDir in Go: $XDG_RUNTIME_DIR when it
// is a directory owned by us, else /tmp/rpod-run-UID.
static void runtime_dir(char *buf, size_t len) {
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (x != NULL && x[0] == '/' && stat(x, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid()) {
		snprintf(buf, len, "%s/rpod", x);
		return;
	}
	snprintf(buf, len, "/tmp/rpod-run-%d/rpod", (int)getuid());
}

ssize_t rpod_read_file(int dirfd, const char *path, char *buf, size_t len) {
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

unsigned long long rpod_start_time(int dirfd, const char *path) {
	char buf[1024];
	if (rpod_read_file(dirfd, path, buf, sizeof buf) <= 0)
		return 0;
	char *p = strrchr(buf, ')');
	// A zombie is dead: its pid lingers until the parent reaps it, which an
	// init that does not reap orphans (as in some containers) never does.
	if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	// After ") " come fields 3..; start time is field 22.
	int field = 2;
	for (; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

static void pause_forever(void) {
	// Held only to keep the namespaces alive: no Go runtime, a few hundred KiB.
	prctl(PR_SET_NAME, "rpod-pause", 0, 0, 0);
	if (chdir("/") < 0) {
	}
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, SIGTERM);
	sigdelset(&all, SIGKILL);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (;;)
		pause();
}

// pause_join moves a new pause process into the namespaces of holder, a
// monitor that outlived the previous pause process (userns/holders.go).
static int pause_join(long holder) {
	char nspath[64];
	snprintf(nspath, sizeof nspath, "/proc/%ld/ns/user", holder);
	int userfd = open(nspath, O_RDONLY | O_CLOEXEC);
	snprintf(nspath, sizeof nspath, "/proc/%ld/ns/mnt", holder);
	int mntfd = open(nspath, O_RDONLY | O_CLOEXEC);
	int ok = userfd >= 0 && mntfd >= 0 && setns(userfd, CLONE_NEWUSER) == 0 && setns(mntfd, CLONE_NEWNS) == 0;
	if (userfd >= 0)
		close(userfd);
	if (mntfd >= 0)
		close(mntfd);
	return ok ? 0 : -1;
}

static void join(void) {
	char dir[PATH_MAX], path[PATH_MAX + 32], buf[128];
	runtime_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/pause.pid", dir);
	if (rpod_read_file(AT_FDCWD, path, buf, sizeof buf) <= 0)
		return; // no pause process yet: Go creates one
	long pid = 0;
	unsigned long long start = 0;
	if (sscanf(buf, "%ld %llu", &pid, &start) != 2 || pid <= 0)
		return;
	char nspath[64];
	// The start time keeps a pid file that names a recycled pid from being trusted.
	snprintf(nspath, sizeof nspath, "/proc/%ld/stat", pid);
	if (rpod_start_time(AT_FDCWD, nspath) != start)
		return; // stale: Go replaces it
	snprintf(nspath, sizeof nspath, "/proc/%ld", pid);
	struct stat st;
	if (stat(nspath, &st) < 0 || st.st_uid != getuid())
		return; // not ours: namespace files themselves are owned by root
	snprintf(nspath, sizeof nspath, "/proc/%ld/ns/user", pid);
	int userfd = open(nspath, O_RDONLY | O_CLOEXEC);
	snprintf(nspath, sizeof nspath, "/proc/%ld/ns/mnt", pid);
	int mntfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if ((userfd < 0 || mntfd < 0) && errno == ENOENT)
		goto out; // it died since we looked: Go replaces it
	if (userfd < 0 || mntfd < 0) {
		snprintf(rpod_join_error, sizeof rpod_join_error, "open namespaces of pause process %ld: %s", pid, strerror(errno));
		goto out;
	}
	char cwd[PATH_MAX];
	int have_cwd = getcwd(cwd, sizeof cwd) != NULL;
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (setns(userfd, CLONE_NEWUSER) < 0) {
		snprintf(rpod_join_error, sizeof rpod_join_error, "join user namespace of pause process %ld: %s", pid, strerror(errno));
		goto out;
	}
	if (setns(mntfd, CLONE_NEWNS) < 0) {
		// Half joined is worse than not joined: storage would mount into the wrong namespace.
		fprintf(stderr, "Error: join mount namespace of pause process %ld: %s\n", pid, strerror(errno));
		_exit(125);
	}
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		fprintf(stderr, "Error: become root in the rootless user namespace: %s\n", strerror(errno));
		_exit(125);
	}
	// setns(CLONE_NEWNS) moved us to the namespace's root directory.
	if (have_cwd && chdir(cwd) < 0) {
		if (chdir("/") < 0) {
		}
	}
	// Go reads its environment from the process's initial stack, not from
	// libc's environ: userns's Go init publishes these ids to it.
	rpod_joined_uid = (int)uid;
	rpod_joined_gid = (int)gid;
out:
	if (userfd >= 0)
		close(userfd);
	if (mntfd >= 0)
		close(mntfd);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

// Room after the data for the runtime's .bss (0.17 MB); its .noptrbss,
// 35 MB, follows, mostly untouched.
#define BSS_ROOM (192 << 10)

static int populate_phdr(struct dl_phdr_info *info, size_t size, void *arg) {
	(void)size;
	(void)arg;
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t relro = 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO)
			relro = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr + info->dlpi_phdr[i].p_memsz;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		uintptr_t end = start + ph->p_filesz + BSS_ROOM;
		if (end > start + ph->p_memsz)
			end = start + ph->p_memsz;
		if (relro > start)
			start = relro; // read-only once ld.so relocated it
		start = (start + page - 1) & ~(uintptr_t)(page - 1);
		if (end > start)
			madvise((void *)start, end - start, MADV_POPULATE_WRITE);
	}
	return 1; // the executable comes first: done
}

// populate_data maps in, in one call, the Go runtime's writable data and
// .bss, which it otherwise faults in page by page as it starts, at 10-20 us
// a fault on a virtual machine that shadows page tables (bench/README.md,
// session 9). Done in the process that goes on into Go, after any fork:
// pages written before a fork are copied again on the next write.
static void populate_data(void) { dl_iterate_phdr(populate_phdr, NULL); }

__attribute__((constructor)) static void rpod_userns_init(int argc, char **argv, char **envp) {
	(void)envp;
	if (getenv("_RPOD_PAUSE") != NULL) {
		// The parent writes our id maps, then one byte to fd 3.
		char c;
		ssize_t n;
		while ((n = read(3, &c, 1)) < 0 && errno == EINTR) {
		}
		close(3);
		if (n != 1)
			_exit(1); // the parent died before the maps were written
		if (getenv("_RPOD_PAUSE_JOIN") != NULL && pause_join(atol(getenv("_RPOD_PAUSE_JOIN"))) < 0)
			_exit(1); // the holder is gone: the parent makes a new namespace
		pause_forever();
	}
	if (rpod_exec_enter(argc, argv)) return; // rpod exec, inside a running container (exec.c)
	const char *cmd, *sub;
	int help;
	command_words(argc, argv, &cmd, &sub, &help);
	// A re-executed rpod (userns.go) is the relayed child already.
	if (!help && cmd != NULL && getenv("_RPOD_REEXEC") == NULL &&
	    (strcmp(cmd, "run") == 0 || (strcmp(cmd, "container") == 0 && sub != NULL && strcmp(sub, "run") == 0)))
		rpod_fork_reporter(); // report.c
	if (getenv("_RPOD_NO_PREFAULT") == NULL) // internal/prefault.SkipEnv
		populate_data();
	if (geteuid() == 0 || getenv("_RPOD_NO_JOIN") != NULL)
		return;
	if (skip_join(argc, argv, cmd, sub, help))
		return;
	join();
}
