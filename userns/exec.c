// rpod exec enters a running container here, before the Go runtime starts:
// setns(CLONE_NEWNS) is refused to a process whose threads share their
// filesystem info (every Go program), and setns(CLONE_NEWPID) moves only the
// children. So this process joins the container's namespaces, forks, and
// stays behind in C to relay signals and the exit status, while the child,
// a member of the container's pid namespace, runs rpod exec's step
// (runtime/step, in C too) and execs the command.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "join.h"
#include "../runtime/step/step.h"
#include "../runtime/step/syncerr.h"

// Shared with runtime/exec.go.
#define EXEC_PID_ENV "_RPOD_EXEC_PID"

static volatile pid_t exec_child;

// The step is linked in rpod (package runtime imports runtime/step), not
// in this package's own tests.
#pragma weak rpod_step_main

// exec_fail reports to rpod exec over the sync socket, as the step would.
static void exec_fail(const char *fmt, ...) {
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sync_error(SYNC_FD, 125, msg);
}

static void forward(int sig) {
	if (exec_child > 0)
		kill(exec_child, sig);
}

// relay waits for the child, passing it every signal we get, and exits as
// it did: its code, or 128+N when signal N killed it.
static void relay(pid_t child, const sigset_t *old) {
	exec_child = child;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD)
			sigaction(s, &sa, NULL); // fails harmlessly for libc's reserved signals
	sigprocmask(SIG_SETMASK, old, NULL);
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

// same_ns reports whether fd is the namespace of that kind we are in.
static int same_ns(int fd, const char *name, long pid) {
	char path[64];
	struct stat theirs, ours;
	snprintf(path, sizeof path, "/proc/self/ns/%s", name);
	if (fstat(fd, &theirs) < 0 || stat(path, &ours) < 0)
		exec_fail("compare %s namespaces with container process %ld: %s", name, pid, strerror(errno));
	return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

int rpod_exec_enter(int argc, char **argv) {
	if (argc < 2 || strcmp(argv[1], STEP_EXEC_ARG) != 0)
		return 0;
	const char *target = getenv(EXEC_PID_ENV);
	long pid = 0;
	unsigned long long start = 0;
	if (target == NULL || sscanf(target, "%ld %llu", &pid, &start) != 2 || pid <= 0)
		exec_fail("%s is not set: rpod-exec is started by rpod exec only", EXEC_PID_ENV);
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld", pid);
	int procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || rpod_start_time(procfd, "stat") != start)
		exec_fail("the container's process %ld is gone: the container is not running", pid);
	// The mount namespace comes last: once in it, the container's root is ours.
	static const struct {
		const char *name;
		int type;
	} ns[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},       {"net", CLONE_NEWNET},
	          {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}};
	int fds[sizeof ns / sizeof ns[0]];
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		snprintf(path, sizeof path, "ns/%s", ns[i].name);
		fds[i] = openat(procfd, path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			exec_fail("open %s namespace of container process %ld: %s", ns[i].name, pid, strerror(errno));
	}
	// A container with --userns keep-id or nomap has a user namespace of
	// its own: it comes first, so that we hold every capability over the
	// namespaces it owns. setns refuses the namespace we are already in.
	int userfd = openat(procfd, "ns/user", O_RDONLY | O_CLOEXEC);
	if (userfd < 0)
		exec_fail("open user namespace of container process %ld: %s", pid, strerror(errno));
	if (same_ns(userfd, "user", pid)) {
		close(userfd);
		userfd = -1;
	}
	// Opened through the directory of the process we checked: a reused pid cannot slip in.
	if (rpod_start_time(procfd, "stat") != start)
		exec_fail("the container's process %ld is gone: the container is not running", pid);
	close(procfd);
	if (userfd >= 0) {
		if (setns(userfd, CLONE_NEWUSER) < 0)
			exec_fail("join user namespace of container process %ld: %s", pid, strerror(errno));
		close(userfd);
	}
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		// --pid/--ipc/--uts=host: the host's namespace, owned by the
		// initial user namespace, where setns is refused; we are in it already.
		if (same_ns(fds[i], ns[i].name, pid)) {
			close(fds[i]);
			continue;
		}
		if (setns(fds[i], ns[i].type) < 0)
			exec_fail("join %s namespace of container process %ld: %s", ns[i].name, pid, strerror(errno));
		close(fds[i]);
	}
	if (chdir("/") < 0)
		exec_fail("change to the container's root: %s", strerror(errno));
	// No signal may find the parent without its relay in place.
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t child = fork();
	if (child < 0)
		exec_fail("fork into the container: %s", strerror(errno));
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (rpod_step_main == NULL)
			exec_fail("rpod exec's step is not linked into this program (runtime/step)");
		rpod_step_main(argc, argv); // execs the command, or exits
		_exit(EXIT_RPOD);
	}
	close(SYNC_FD); // the child's alone, so that its exec ends rpod's read
	relay(child, &old);
	return 1;
}
