// Paths as Go's path/filepath treats them, and their resolution inside the
// container's root without following a symlink out of it.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "step.h"

char mkdir_error[PATH_ERR_MAX];

// path_clean is filepath.Clean: the shortest equivalent path, lexically.
char *path_clean(const char *p) {
	size_t n = strlen(p);
	if (n == 0)
		return xstrdup(".");
	int rooted = p[0] == '/';
	char *out = xcalloc(1, n + 2);
	size_t w = 0, r = 0, dotdot = 0;
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && p[r] != '/'; r++)
				out[w++] = p[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

// path_join is filepath.Join of two elements.
char *path_join(const char *a, const char *b) {
	if (*a == '\0')
		return *b ? path_clean(b) : xstrdup("");
	if (*b == '\0')
		return path_clean(a);
	char *j = xasprintf("%s/%s", a, b);
	return path_clean(j);
}

// path_depth counts the slashes of the cleaned path.
int path_depth(const char *p) {
	char *c = path_clean(p);
	int d = 0;
	for (char *q = c; *q; q++)
		d += *q == '/';
	return d;
}

// mkdir_all is os.MkdirAll; on failure mkdir_error says why, as Go would,
// and errno is the failed mkdir's.
int mkdir_all(const char *path, unsigned mode) {
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(mkdir_error, sizeof mkdir_error, "mkdir %s: %s", path, errstr(ENOTDIR));
		errno = ENOTDIR;
		return -1;
	}
	size_t i = strlen(path);
	while (i > 0 && path[i - 1] == '/')
		i--;
	size_t j = i;
	while (j > 0 && path[j - 1] != '/')
		j--;
	if (j > 1) {
		int r = mkdir_all(xstrndup(path, j - 1), mode);
		if (r < 0)
			return r;
	}
	if (mkdir(path, mode) < 0) {
		int e = errno;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		snprintf(mkdir_error, sizeof mkdir_error, "mkdir %s: %s", path, errstr(e));
		errno = e; // kept for the caller: a read-only rootfs is EROFS
		return -1;
	}
	return 0;
}

// resolve_in is runtime.ResolveIn: root+p with every symlink in p resolved
// as the container would see it, refusing one that leads out of root. A
// missing component is taken as it is. NULL with err set on failure.
char *resolve_in(const char *root, const char *p, char *err, size_t errlen) {
	struct strv pending = {0}, done = {0};
	char *clean = path_clean(xasprintf("/%s", p));
	// pending is kept reversed: its next component is its last.
	struct strv split = {0};
	for (char *t = strtok(clean, "/"); t != NULL; t = strtok(NULL, "/"))
		strv_add(&split, t);
	for (size_t i = split.n; i-- > 0;)
		strv_add(&pending, split.v[i]);
	int links = 0;
	while (pending.n > 0) {
		char *c = pending.v[--pending.n];
		if (strcmp(c, "") == 0 || strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (done.n == 0) {
				snprintf(err, errlen, "%s: the path goes through a symlink that leaves the container's root", p);
				return NULL;
			}
			done.n--;
			continue;
		}
		char *cur = xstrdup(root);
		for (size_t i = 0; i < done.n; i++)
			cur = path_join(cur, done.v[i]);
		cur = path_join(cur, c);
		struct stat st;
		if (lstat(cur, &st) < 0) {
			if (errno == ENOENT) {
				strv_add(&done, c);
				continue;
			}
			snprintf(err, errlen, "lstat %s: %s", cur, errstr(errno));
			return NULL;
		}
		if (!S_ISLNK(st.st_mode)) {
			strv_add(&done, c);
			continue;
		}
		if (++links > 40) {
			snprintf(err, errlen, "%s: too many levels of symbolic links", p);
			return NULL;
		}
		char dest[PATH_MAX];
		ssize_t n = readlink(cur, dest, sizeof dest - 1);
		if (n < 0) {
			snprintf(err, errlen, "readlink %s: %s", cur, errstr(errno));
			return NULL;
		}
		dest[n] = '\0';
		if (dest[0] == '/')
			done.n = 0;
		// dest's components go in front of pending, in order.
		struct strv parts = {0};
		char *d = xstrdup(dest);
		for (char *s = d, *slash;; s = slash + 1) {
			slash = strchr(s, '/');
			if (slash != NULL)
				*slash = '\0';
			strv_add(&parts, s);
			if (slash == NULL)
				break;
		}
		for (size_t i = parts.n; i-- > 0;)
			strv_add(&pending, parts.v[i]);
	}
	char *out = xstrdup(root);
	for (size_t i = 0; i < done.n; i++)
		out = path_join(out, done.v[i]);
	return path_join(out, "");
}
