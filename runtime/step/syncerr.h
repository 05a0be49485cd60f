// The "error" message a step sends rpod over its sync socket (runtime's
// syncMsg in JSON), shared with userns/exec.c, which fails before the step.
#ifndef RPOD_SYNCERR_H
#define RPOD_SYNCERR_H

#include <stdio.h>
#include <unistd.h>

// sync_error writes msg with podman's exit code to fd as rpod reads it, so
// that it becomes rpod's one Error line even when the step's stderr is not
// rpod's (with -t it is the pty); on stderr when fd is gone. Then it exits.
static inline void __attribute__((noreturn)) sync_error(int fd, int code, const char *msg) {
	char out[8400];
	size_t o = (size_t)snprintf(out, sizeof out, "{\"type\":\"error\",\"code\":%d,\"msg\":\"", code);
	for (const unsigned char *p = (const unsigned char *)msg; *p && o < sizeof out - 16; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < 0x20) {
			o += (size_t)snprintf(out + o, sizeof out - o, "\\u%04x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	o += (size_t)snprintf(out + o, sizeof out - o, "\"}");
	if (write(fd, out, o) != (ssize_t)o)
		fprintf(stderr, "Error: %s\n", msg);
	_exit(code);
}

#endif
