// The spec rpod sends a step on its socket, and what goes back: records of
// a tag byte, a 4-byte little-endian length and the value, whose fields
// are separated by NUL bytes; tag 0 ends the spec (runtime/stepspec.go).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "step.h"

// fields splits a record's value (NUL-terminated after its length) into
// up to max fields; the missing ones are "".
static size_t fields(char *v, size_t len, const char **out, size_t max) {
	size_t n = 0;
	char *p = v, *end = v + len;
	while (n < max) {
		out[n++] = p;
		char *z = memchr(p, '\0', (size_t)(end - p));
		if (z == NULL || z >= end)
			break;
		p = z + 1;
	}
	for (size_t i = n; i < max; i++)
		out[i] = "";
	return n;
}

static uint64_t num(const char *s) { return strtoull(s, NULL, 10); }

#define GROW(arr, n) (arr = xrealloc(arr, ((n) + 1) * sizeof *(arr)))

// record decodes one record into s.
static void record(struct spec *s, int tag, char *v, size_t len) {
	const char *f[6];
	switch (tag) {
	case 'r': s->rootfs = v; break;
	case 'a': strv_add(&s->args, v); break;
	case 'e': strv_add(&s->env, v); break;
	case 'c': s->cwd = v; break;
	case 'u': s->user = v; break;
	case 'h': s->hostname = v; break;
	case 't': s->terminal = 1; break;
	case 'C':
		fields(v, len, f, 2);
		s->caps = num(f[0]);
		s->cap_last = (int)num(f[1]);
		break;
	case 'N': s->no_new_privs = 1; break;
	case 'S':
		s->seccomp = (const unsigned char *)v;
		s->seccomp_len = len;
		break;
	case 'F': s->seccomp_flags = (unsigned)num(v); break;
	case 'p': s->seccomp_profile = 1; break;
	case 'M': {
		fields(v, len, f, 6);
		GROW(s->mounts, s->nmounts);
		s->mounts[s->nmounts++] = (struct mount_spec){
		    .type = f[0], .source = f[1], .dest = f[2], .data = f[3], .flags = (unsigned long)num(f[4]), .readonly = f[5][0] == '1'};
		break;
	}
	case 'R': s->readonly = 1; break;
	case 'L':
		fields(v, len, f, 4);
		GROW(s->ulimits, s->nulimits);
		s->ulimits[s->nulimits++] = (struct ulimit_spec){.name = f[0], .resource = (int)num(f[1]), .soft = num(f[2]), .hard = num(f[3])};
		break;
	case 'z': s->shm_data = v; break;
	case 'Y':
		fields(v, len, f, 2);
		strv_add(&s->sysctls, f[0]);
		strv_add(&s->sysctls, f[1]);
		break;
	case 'D':
		fields(v, len, f, 3);
		GROW(s->devices, s->ndevices);
		s->devices[s->ndevices++] = (struct device_spec){.source = f[0], .dest = f[1], .optional = f[2][0] == '1'};
		break;
	case 'H':
		if (strcmp(v, "pid") == 0)
			s->host_pid = 1;
		else if (strcmp(v, "ipc") == 0)
			s->host_ipc = 1;
		else if (strcmp(v, "uts") == 0)
			s->host_uts = 1;
		else if (strcmp(v, "cgroupns") == 0)
			s->host_cgroupns = 1;
		break;
	case 'm': strv_add(&s->masked, v); break;
	case 'o': strv_add(&s->readonly_paths, v); break;
	case 'K':
		fields(v, len, f, 3);
		s->keepid = 1;
		s->keepid_uid = (uint32_t)num(f[0]);
		s->keepid_name = f[1];
		s->keepid_home = f[2];
		break;
	case 'G': strv_add(&s->group_add, v); break;
	case 'I': s->init_path = v; break;
	case 'n': s->netns = v; break;
	case 'E': strv_add(&s->etc_files, v); break;
	case 'd': s->etc_dir = v; break;
	case 'W':
		fields(v, len, f, 2);
		s->console = 1;
		s->console_rows = (int)num(f[0]);
		s->console_cols = (int)num(f[1]);
		break;
	case 'P': s->pdeathsig = (int)num(v); break;
	case 'A': s->await_network = 1; break;
	}
}

// spec_end is the length of the spec at the start of buf, its end record
// included, or 0 when buf does not hold all of it yet.
size_t spec_end(const unsigned char *buf, size_t n) {
	for (size_t pos = 0; pos + 5 <= n;) {
		uint32_t len = (uint32_t)buf[pos + 1] | (uint32_t)buf[pos + 2] << 8 | (uint32_t)buf[pos + 3] << 16 | (uint32_t)buf[pos + 4] << 24;
		if (buf[pos] == 0)
			return pos + 5;
		if ((size_t)len > n - pos - 5)
			return 0;
		pos += 5 + (size_t)len;
	}
	return 0;
}

// decode_spec decodes the spec of n bytes (spec_end's) into s, whose
// strings are copies.
void decode_spec(struct spec *s, const unsigned char *buf, size_t n) {
	memset(s, 0, sizeof *s);
	s->tree_fd = -1;
	for (size_t p = 0; p + 5 <= n && buf[p] != 0;) {
		int tag = buf[p];
		uint32_t len = (uint32_t)buf[p + 1] | (uint32_t)buf[p + 2] << 8 | (uint32_t)buf[p + 3] << 16 | (uint32_t)buf[p + 4] << 24;
		char *v = xcalloc(1, (size_t)len + 1);
		memcpy(v, buf + p + 5, len);
		record(s, tag, v, len);
		p += 5 + (size_t)len;
	}
}

// recv_spec reads the spec from the socket, with the rootfs mount a
// prestarted init step is sent along with its first bytes; on failure it
// says why in err and returns -1.
int recv_spec(struct spec *s, char *err, size_t errlen) {
	size_t cap = 64 << 10, n = 0, end = 0;
	unsigned char *buf = xrealloc(NULL, cap);
	// The descriptor rides on the first bytes.
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
	ssize_t r;
	while ((r = recvmsg(SYNC_FD, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
	}
	if (r < 0) {
		snprintf(err, errlen, "recvmsg: %s", errstr(errno));
		return -1;
	}
	int tree = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&tree, CMSG_DATA(c), sizeof(int));
	n = (size_t)r;
	while (r > 0 && (end = spec_end(buf, n)) == 0) {
		if (n == cap) {
			buf = xrealloc(buf, cap *= 2);
		}
		while ((r = read(SYNC_FD, buf + n, cap - n)) < 0 && errno == EINTR) {
		}
		if (r < 0) {
			snprintf(err, errlen, "read: %s", errstr(errno));
			return -1;
		}
		n += (size_t)r;
	}
	if (r == 0) {
		snprintf(err, errlen, "unexpected EOF");
		return -1;
	}
	decode_spec(s, buf, end);
	s->tree_fd = tree;
	s->more = buf + end;
	s->nmore = n - end;
	return 0;
}

// await_go_ahead waits for rpod's go-ahead ('g') after the spec; the end
// of the stream is rpod giving up (it kills the step too).
int await_go_ahead(struct spec *s) {
	for (size_t i = 0; i < s->nmore; i++)
		if (s->more[i] == 'g')
			return 0;
	for (;;) {
		char c;
		ssize_t r = read(SYNC_FD, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die(EXIT_RPOD, "wait for the network: %s", errstr(errno));
		if (r == 0)
			die(EXIT_RPOD, "wait for the network: EOF");
		if (c == 'g')
			return 0;
	}
}

// send_pty gives the pty master the spec's console size and sends it to
// rpod, which copies between it and its own terminal.
void send_pty(int master, const struct spec *s) {
	if (s->console) {
		struct winsize ws = {.ws_row = (unsigned short)s->console_rows, .ws_col = (unsigned short)s->console_cols};
		ioctl(master, TIOCSWINSZ, &ws);
	}
	static const char body[] = "{\"type\":\"pty\"}";
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = {.iov_base = (void *)body, .iov_len = sizeof body - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(SYNC_FD, &msg, 0) < 0)
		die(EXIT_RPOD, "send pty to rpod: %s", errstr(errno));
}
