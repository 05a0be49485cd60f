// A step's protocol and its last part: read the spec from fd 3, build the
// container (init) or enter it (exec), drop to the command's credentials
// and exec it; on failure send the error with podman's exit code back
// over fd 3 and exit with it. Each failure ends the step where it happens.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "step.h"
#include "syncerr.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

void die(int code, const char *fmt, ...) {
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sync_error(SYNC_FD, code, msg);
}

// errstr is strerror as Go spells it (lower case), in one of a few buffers
// so that a message can hold several.
const char *errstr(int e) {
	static char bufs[4][128];
	static int next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof bufs[0], "%s", strerror(e));
	if (b[0] >= 'A' && b[0] <= 'Z' && !(b[1] >= 'A' && b[1] <= 'Z'))
		b[0] = (char)(b[0] - 'A' + 'a');
	return b;
}

// Every allocation is kept track of, for step_free_all: the step itself
// frees nothing (it execs or exits), but its tests run it many times.
static void **allocs;
static size_t nallocs, capallocs;

void *xtrack(void *p) {
	if (p == NULL)
		die(EXIT_RPOD, "out of memory");
	if (nallocs == capallocs) {
		capallocs = capallocs ? capallocs * 2 : 256;
		void **a = realloc(allocs, capallocs * sizeof *a);
		if (a == NULL)
			die(EXIT_RPOD, "out of memory");
		allocs = a;
	}
	allocs[nallocs++] = p;
	return p;
}

void *xrealloc(void *old, size_t n) {
	void *p = realloc(old, n ? n : 1);
	if (p == NULL)
		die(EXIT_RPOD, "out of memory");
	if (old != NULL)
		for (size_t i = nallocs; i-- > 0;)
			if (allocs[i] == old) {
				allocs[i] = p;
				return p;
			}
	return xtrack(p);
}

void step_free_all(void) {
	for (size_t i = 0; i < nallocs; i++)
		free(allocs[i]);
	nallocs = 0;
}

void *xcalloc(size_t n, size_t size) {
	size_t total = (n ? n : 1) * (size ? size : 1);
	void *p = xrealloc(NULL, total);
	memset(p, 0, total);
	return p;
}

char *xstrndup(const char *s, size_t n) {
	size_t len = strnlen(s, n);
	char *p = xrealloc(NULL, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xasprintf(const char *fmt, ...) {
	va_list ap;
	char *p;
	va_start(ap, fmt);
	int n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(EXIT_RPOD, "out of memory");
	return xtrack(p);
}

void strv_add(struct strv *l, const char *s) {
	if (l->n + 1 >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = (char *)s;
	l->v[l->n] = NULL;
}

char *read_small(const char *path) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0, max = 16 << 20;
	char *b = xrealloc(NULL, cap + 1);
	for (;;) {
		if (n == cap && cap < max) {
			cap *= 2;
			b = xrealloc(b, cap + 1);
			continue;
		}
		if (n == cap)
			break;
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	return b;
}

// quote is Go's %q for the names in messages: in double quotes, with
// quotes and backslashes escaped.
static const char *quote(const char *s) {
	static char bufs[2][1024];
	static int next;
	char *b = bufs[next++ % 2];
	size_t o = 0;
	b[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p && o < sizeof bufs[0] - 8; p++) {
		if (*p == '"' || *p == '\\') {
			b[o++] = '\\';
			b[o++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(b + o, sizeof bufs[0] - o, "\\x%02x", *p);
		} else {
			b[o++] = (char)*p;
		}
	}
	b[o++] = '"';
	b[o] = '\0';
	return b;
}

// env_value is the last value of key in env, or NULL.
static const char *env_value(const struct strv *env, const char *key) {
	size_t k = strlen(key);
	for (size_t i = env->n; i-- > 0;)
		if (strncmp(env->v[i], key, k) == 0 && env->v[i][k] == '=')
			return env->v[i] + k + 1;
	return NULL;
}

// runtime.DefaultPath: the PATH a container gets when its image sets none.
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// check_exec is 0 for an executable file, else an errno.
static int check_exec(const char *p) {
	struct stat st;
	if (stat(p, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode) || (st.st_mode & 0111) == 0)
		return EACCES;
	return 0;
}

// look_path finds the command in the container's own PATH, with podman's
// exit codes: 127 when there is no such command, 126 when it cannot run.
static const char *look_path(const char *file, const struct strv *env) {
	if (strchr(file, '/') != NULL) {
		int e = check_exec(file);
		if (e == 0)
			return file;
		if (e == ENOENT)
			die(EXIT_NOT_FOUND, "exec %s: no such file or directory in the container", quote(file));
		die(EXIT_CANNOT_EXEC, "exec %s: permission denied: not an executable file", quote(file));
	}
	const char *path = env_value(env, "PATH");
	if (path == NULL || *path == '\0')
		path = DEFAULT_PATH;
	char *denied = NULL;
	for (const char *p = path;;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *dir = len ? xstrndup(p, len) : xstrdup(".");
		char *cand = path_clean(xasprintf("%s/%s", dir, file));
		int e = check_exec(cand);
		if (e == 0)
			return cand;
		if (e == EACCES && denied == NULL)
			denied = cand;
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (denied != NULL)
		die(EXIT_CANNOT_EXEC, "exec %s: permission denied: %s is not an executable file", quote(file), denied);
	die(EXIT_NOT_FOUND, "exec %s: executable file not found in $PATH of the container", quote(file));
}

// close_inherited has exec close every descriptor but stdio: one rpod
// inherited from its own caller, of a host directory, would lead out of
// the container's root.
static void close_inherited(void) {
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	int e = errno;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		die(EXIT_RPOD, "close inherited descriptors: %s (%s)", errstr(e), errstr(errno));
	int self = dirfd(d);
	struct dirent *ent;
	while ((ent = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(ent->d_name, &end, 10);
		if (*end == '\0' && end != ent->d_name && fd > 2 && fd != self)
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

static const char *format_rlimit(uint64_t v, char *buf, size_t n) {
	if (v == (uint64_t)RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, n, "%llu", (unsigned long long)v);
	return buf;
}

// ulimit_option is the ulimit(1) option of a limit, for the message that
// names what to raise (runtime/limits.go's table).
static const char *ulimit_option(int res) {
	static const struct {
		int res;
		const char *opt;
	} t[] = {{RLIMIT_AS, "-Hv"},     {RLIMIT_CORE, "-Hc"},       {RLIMIT_CPU, "-Ht"},    {RLIMIT_DATA, "-Hd"},
	         {RLIMIT_FSIZE, "-Hf"},  {RLIMIT_LOCKS, "-Hx"},      {RLIMIT_MEMLOCK, "-Hl"}, {RLIMIT_MSGQUEUE, "-Hq"},
	         {RLIMIT_NICE, "-He"},   {RLIMIT_NOFILE, "-Hn"},     {RLIMIT_NPROC, "-Hu"},  {RLIMIT_RSS, "-Hm"},
	         {RLIMIT_RTPRIO, "-Hr"}, {RLIMIT_RTTIME, "-HR"},     {RLIMIT_SIGPENDING, "-Hi"}, {RLIMIT_STACK, "-Hs"}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].res == res)
			return t[i].opt;
	return "-H";
}

static void set_rlimits(const struct spec *s) {
	for (size_t i = 0; i < s->nulimits; i++) {
		const struct ulimit_spec *u = &s->ulimits[i];
		struct rlimit r = {.rlim_cur = u->soft, .rlim_max = u->hard};
		if (setrlimit(u->resource, &r) == 0)
			continue;
		int e = errno;
		char a[32], b[32], c[32];
		struct rlimit cur;
		if (e == EPERM && getrlimit(u->resource, &cur) == 0 && u->hard > cur.rlim_max)
			die(EXIT_RPOD,
			    "--ulimit %s: the hard limit %s is above your maximum of %s (ulimit %s): a rootless container cannot raise it; lower the value or raise the user's limit (limits.conf)",
			    u->name, format_rlimit(u->hard, a, sizeof a), format_rlimit(cur.rlim_max, b, sizeof b), ulimit_option(u->resource));
		die(EXIT_RPOD, "set --ulimit %s=%s:%s: %s", u->name, format_rlimit(u->soft, a, sizeof a), format_rlimit(u->hard, c, sizeof c), errstr(e));
	}
}

// install_seccomp loads the filter rpod compiled on this thread, before
// the capabilities go: holding CAP_SYS_ADMIN, no_new_privs is not required.
static void install_seccomp(const struct spec *s) {
	if (s->seccomp == NULL)
		return;
	struct sock_fprog prog = {.len = (unsigned short)(s->seccomp_len / sizeof(struct sock_filter)),
	                          .filter = (struct sock_filter *)(void *)s->seccomp};
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->seccomp_flags, &prog);
	if (r < 0 && errno == ENOSYS && s->seccomp_flags == 0)
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
	if (r < 0)
		die(EXIT_RPOD, "install seccomp %s: installing seccomp filter: %s", s->seccomp_profile ? "profile" : "filter", errstr(errno));
}

// apply_caps leaves the process the capabilities in mask, in its bounding,
// effective, permitted and inheritable sets, and no ambient ones.
static void apply_caps(uint64_t mask, int last) {
	for (int c = 0; c <= last; c++) {
		if (mask & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			die(EXIT_RPOD, "set capabilities: dropping capability %d from the bounding set: %s", c, errstr(errno));
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		die(EXIT_RPOD, "set capabilities: clearing the ambient capabilities: %s", errstr(errno));
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522, 0}; // _LINUX_CAPABILITY_VERSION_3
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2];
	for (int i = 0; i < 2; i++) {
		uint32_t w = (uint32_t)(mask >> (32 * i));
		data[i].effective = data[i].permitted = data[i].inheritable = w;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		die(EXIT_RPOD, "set capabilities: setting capabilities %#llx: %s", (unsigned long long)mask, errstr(errno));
}

// rearm_parent_death sets the signal the command gets when rpod dies
// again: a change of uid or gid clears it (prctl(2)). rpod may have died
// already: its end of the sync socket says so, and the command does not run.
static void rearm_parent_death(const struct spec *s) {
	if (s->pdeathsig == 0)
		return;
	if (prctl(PR_SET_PDEATHSIG, s->pdeathsig, 0, 0, 0) < 0)
		die(EXIT_RPOD, "set parent death signal: %s", errstr(errno));
	struct pollfd p = {.fd = SYNC_FD, .events = POLLRDHUP};
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		_exit(EXIT_RPOD); // no one is left to tell
}

// exec_as drops to the container's credentials and execs.
static void __attribute__((noreturn))
exec_as(const struct spec *s, const struct exec_user *u, const char *path, char **args, const struct strv *env) {
	close_inherited();
	set_rlimits(s);
	install_seccomp(s);
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(EXIT_RPOD, "set no_new_privs: setting no_new_privs: %s", errstr(errno));
	if (syscall(SYS_setgroups, u->ngroups, u->groups) < 0 && u->ngroups > 0)
		die(EXIT_RPOD, "set supplementary groups: %s", errstr(errno));
	apply_caps(s->caps, s->cap_last);
	if (syscall(SYS_setresgid, u->gid, u->gid, u->gid) < 0)
		die(EXIT_RPOD, "set gid %u: %s", u->gid, errstr(errno));
	if (syscall(SYS_setresuid, u->uid, u->uid, u->uid) < 0)
		die(EXIT_RPOD, "set uid %u: %s (is the uid mapped? see rpod info idMappings)", u->uid, errstr(errno));
	rearm_parent_death(s);
	execve(path, args, env->v);
	if (errno == ENOENT)
		die(EXIT_NOT_FOUND, "exec %s: no such file or directory", quote(args[0]));
	die(EXIT_CANNOT_EXEC, "exec %s: %s: the command cannot be invoked", quote(args[0]), errstr(errno));
}

// loopback_up brings lo up in the container's network namespace.
static void loopback_up(void) {
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(EXIT_RPOD, "loopback: %s", errstr(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die(EXIT_RPOD, "loopback flags: %s", errstr(errno));
	if (!(ifr.ifr_flags & IFF_UP)) { // else a shared namespace (--network host, container:)
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			die(EXIT_RPOD, "bring loopback up: %s", errstr(errno));
	}
	close(fd);
}

// write_sysctl sets one of the sysctls rpod checked, after pivot_root.
static void write_sysctl(const char *name, const char *value) {
	int e = 0;
	if (strcmp(name, "kernel.hostname") == 0) {
		if (sethostname(value, strlen(value)) < 0)
			e = errno;
	} else if (strcmp(name, "kernel.domainname") == 0) {
		if (setdomainname(value, strlen(value)) < 0)
			e = errno;
	} else {
		char *p = xasprintf("/proc/sys/%s", name);
		for (char *c = p + strlen("/proc/sys/"); *c; c++)
			if (*c == '.')
				*c = '/';
		int fd = open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			e = errno;
		} else {
			if (write(fd, value, strlen(value)) < 0)
				e = errno;
			if (close(fd) < 0 && e == 0)
				e = errno;
		}
	}
	switch (e) {
	case 0:
		return;
	case ENOENT:
		die(EXIT_RPOD, "--sysctl %s: this kernel has no such sysctl in the container", name);
	case EINVAL:
		die(EXIT_RPOD, "--sysctl %s=%s: the kernel refused the value as invalid", name, value);
	case EACCES:
	case EPERM:
	case EROFS:
		die(EXIT_RPOD, "--sysctl %s=%s: the kernel refused it: a rootless container may not set it (%s)", name, value, errstr(e));
	default:
		die(EXIT_RPOD, "--sysctl %s=%s: %s", name, value, errstr(e));
	}
}

static void join_netns(const struct spec *s) {
	if (s->netns == NULL)
		return;
	int fd = open(s->netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_RPOD, "join network namespace %s: %s", s->netns, errstr(errno));
	if (setns(fd, CLONE_NEWNET) < 0)
		die(EXIT_RPOD, "join network namespace %s: %s (is it a network namespace rpod's user namespace owns?)", s->netns, errstr(errno));
	close(fd);
}

static void __attribute__((noreturn)) init_container(struct spec *s) {
	// rpod has moved us into the container's cgroup by now (runtime/cgroup.go).
	if (!s->host_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		die(EXIT_RPOD, "new cgroup namespace: %s", errstr(errno));
	join_netns(s);
	init_mounts(s); // mounts.c: up to pivot_root
	for (size_t i = 0; i + 1 < s->sysctls.n; i += 2) // before mask_paths makes /proc/sys read-only
		write_sysctl(s->sysctls.v[i], s->sysctls.v[i + 1]);
	mask_paths(s);
	if (!s->host_uts && sethostname(s->hostname ? s->hostname : "", s->hostname ? strlen(s->hostname) : 0) < 0)
		die(EXIT_RPOD, "set hostname: %s", errstr(errno));
	loopback_up();
	struct exec_user u;
	struct strv env;
	const char *cwd;
	process_user(s, &u, &env, &cwd);
	if (mkdir_all(cwd, 0755) < 0)
		die(EXIT_RPOD, "create working directory %s: %s", cwd, mkdir_error);
	if (chdir(cwd) < 0)
		die(EXIT_RPOD, "change to working directory %s: %s", cwd, errstr(errno));
	if (s->args.n == 0)
		die(EXIT_RPOD, "no command specified: give one after the image name, or use an image with an ENTRYPOINT or CMD");
	const char *path = look_path(s->args.v[0], &env);
	char **args = s->args.v;
	if (s->init_path != NULL) {
		struct strv a = {0};
		strv_add(&a, INIT_MOUNT_POINT);
		strv_add(&a, "--");
		for (size_t i = 0; i < s->args.n; i++)
			strv_add(&a, s->args.v[i]);
		path = INIT_MOUNT_POINT;
		args = a.v;
	}
	if (s->await_network)
		await_go_ahead(s);
	exec_as(s, &u, path, args, &env);
}

static void __attribute__((noreturn)) exec_in_container(struct spec *s) {
	struct exec_user u;
	struct strv env;
	const char *cwd;
	process_user(s, &u, &env, &cwd);
	if (chdir(cwd) < 0)
		die(EXIT_NOT_FOUND, "change to working directory %s in the container: %s", cwd, errstr(errno));
	if (s->args.n == 0)
		die(EXIT_RPOD, "no command specified: give one after the container name");
	if (s->terminal)
		exec_terminal(s, u.uid);
	const char *path = look_path(s->args.v[0], &env);
	exec_as(s, &u, path, s->args.v, &env);
}

int rpod_step_main(int argc, char **argv) {
	int exec = argc > 1 && strcmp(argv[1], STEP_EXEC_ARG) == 0;
	fcntl(SYNC_FD, F_SETFD, FD_CLOEXEC);
	struct spec s;
	char err[256];
	if (recv_spec(&s, err, sizeof err) < 0) {
		fprintf(stderr, "Error: read %s spec: %s\n", exec ? "exec" : "container", err);
		_exit(EXIT_RPOD);
	}
	if (exec)
		exec_in_container(&s);
	init_container(&s);
}
