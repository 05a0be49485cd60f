// A foreground `rpod run --rm` owes its caller the container's exit code,
// not the teardown that follows it (unmount, removal: some 10 ms). The
// caller waits for the pid it started, so that process forks here, before
// the Go runtime exists (a fork now copies almost nothing), and becomes a
// reporter: it relays signals to the child, which runs rpod, and exits with
// the code the child sends as soon as the container has exited. The child
// then tears the container down on its own (userns/report.go).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "join.h"

int rpod_report_fd = -1;
int rpod_watch_fd = -1;

static volatile pid_t report_child;

// relay_signal passes on a signal another process sent us (kill, timeout,
// systemctl). One the terminal sent (Ctrl-C) went to the child as well: it
// is in our process group, and a second copy could make the container's
// command give up its graceful stop.
static void relay_signal(int sig, siginfo_t *info, void *uctx) {
	(void)uctx;
	if (report_child > 0 && info != NULL && info->si_code <= 0)
		kill(report_child, sig);
}

// under_systemd reports whether systemd started us as a unit's process: a
// unit ends when its main process does, and would kill the teardown.
static int under_systemd(void) {
	if (getenv("NOTIFY_SOCKET") != NULL)
		return 1;
	char path[64], comm[32];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)getppid());
	return rpod_read_file(AT_FDCWD, path, comm, sizeof comm) > 0 && strcmp(comm, "systemd\n") == 0;
}

// mirror exits as the child did: its code, or killed by the same signal.
static void mirror(int status) {
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		kill(getpid(), sig);
		_exit(128 + sig);
	}
	_exit(WEXITSTATUS(status));
}

void rpod_fork_reporter(void) {
	if (under_systemd())
		return;
	int code[2], watch[2];
	if (pipe2(code, O_CLOEXEC) < 0)
		return;
	if (pipe2(watch, O_CLOEXEC | O_NONBLOCK) < 0) {
		close(code[0]);
		close(code[1]);
		return;
	}
	// No signal may find the reporter before its relay is in place.
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t child = fork();
	if (child < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(code[0]);
		close(code[1]);
		close(watch[0]);
		close(watch[1]);
		return; // rpod runs unrelayed, as for any other command
	}
	if (child == 0) {
		close(code[0]);
		close(watch[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		rpod_report_fd = code[1];
		rpod_watch_fd = watch[0];
		return;
	}
	close(code[1]);
	close(watch[0]); // watch[1] stays open until we exit: the child's EOF
	report_child = child;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = relay_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++) {
		// Job control stops and continues us with the whole process group.
		if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU ||
		    s == SIGCONT || s == SIGWINCH || s == SIGURG)
			continue;
		sigaction(s, &sa, NULL); // fails harmlessly for libc's reserved signals
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	unsigned char c;
	ssize_t n;
	while ((n = read(code[0], &c, 1)) < 0 && errno == EINTR) {
	}
	if (n == 1)
		_exit(c);
	// The child exited (or exec'd) without a code: exit as it did.
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	mirror(status);
}
