// The user a command runs as, from the container's own /etc/passwd and
// /etc/group as runtime.ResolveUser reads them, with --group-add and the
// passwd entry of --userns keep-id.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "step.h"

struct passwd_entry {
	char *name, *home;
	uint32_t uid, gid;
};

struct group_entry {
	char *name;
	uint32_t gid;
	struct strv members;
};

// parse_u32 is strconv.ParseUint(s, 10, 32).
static int parse_u32(const char *s, uint32_t *out) {
	if (*s == '\0')
		return -1;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > 0xffffffffULL)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

// split_line cuts a database line into its colon-separated fields, in place.
static size_t split_line(char *line, char **f, size_t max) {
	size_t n = 0;
	for (char *p = line;;) {
		char *c = strchr(p, ':');
		if (n < max)
			f[n] = p;
		n++;
		if (c == NULL)
			break;
		*c = '\0';
		p = c + 1;
	}
	return n;
}

// next_line returns the next line of *text (without "\n" or "\r\n"), or NULL.
static char *next_line(char **text) {
	if (*text == NULL || **text == '\0')
		return NULL;
	char *line = *text, *nl = strchr(line, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*text = nl + 1;
	} else {
		*text = NULL;
	}
	size_t n = strlen(line);
	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	return line;
}

static size_t parse_passwd(char *text, struct passwd_entry **out) {
	size_t n = 0, cap = 0;
	*out = NULL;
	for (char *line; (line = next_line(&text)) != NULL;) {
		char *f[7];
		if (split_line(line, f, 7) < 6 || f[0][0] == '#')
			continue;
		struct passwd_entry e = {.name = f[0], .home = f[5]};
		if (parse_u32(f[2], &e.uid) < 0 || parse_u32(f[3], &e.gid) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		(*out)[n++] = e;
	}
	return n;
}

static size_t parse_group(char *text, struct group_entry **out) {
	size_t n = 0, cap = 0;
	*out = NULL;
	for (char *line; (line = next_line(&text)) != NULL;) {
		char *f[4];
		size_t nf = split_line(line, f, 4);
		if (nf < 3 || f[0][0] == '#')
			continue;
		struct group_entry e = {.name = f[0]};
		if (parse_u32(f[2], &e.gid) < 0)
			continue;
		if (nf > 3 && f[3][0] != '\0')
			for (char *m = f[3], *c;; m = c + 1) {
				c = strchr(m, ',');
				if (c != NULL)
					*c = '\0';
				strv_add(&e.members, m);
				if (c == NULL)
					break;
			}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		(*out)[n++] = e;
	}
	return n;
}

static void add_gid(struct exec_user *u, uint32_t g) {
	u->groups = xrealloc(u->groups, (u->ngroups + 1) * sizeof *u->groups);
	u->groups[u->ngroups++] = g;
}

// resolve_user_in is runtime.ResolveUser: spec is USER[:GROUP], each a
// name or a number, looked up in the passwd and group files' text (NULL
// for none), which it cuts up. -1 with err set when a name is not found.
int resolve_user_in(const char *spec, char *passwd, char *group_text, struct exec_user *u, char *err, size_t errlen) {
	struct passwd_entry *users = NULL;
	struct group_entry *groups = NULL;
	size_t nusers = passwd ? parse_passwd(passwd, &users) : 0, ngroups = group_text ? parse_group(group_text, &groups) : 0;
	char *user = xstrdup(spec ? spec : ""), *group = strchr(user, ':');
	if (group != NULL)
		*group++ = '\0';
	if (*user == '\0')
		user = "0";
	memset(u, 0, sizeof *u);
	u->home = "/";
	const char *name = NULL;
	uint32_t n;
	if (parse_u32(user, &n) == 0) {
		u->uid = u->gid = n;
		for (size_t i = 0; i < nusers; i++)
			if (users[i].uid == u->uid) {
				u->gid = users[i].gid, u->home = users[i].home, name = users[i].name;
				break;
			}
	} else {
		for (size_t i = 0; i < nusers && name == NULL; i++)
			if (strcmp(users[i].name, user) == 0)
				u->uid = users[i].uid, u->gid = users[i].gid, u->home = users[i].home, name = users[i].name;
		if (name == NULL) {
			snprintf(err, errlen, "unable to find user %s: no matching entries in passwd file", user);
			return -1;
		}
	}
	if (group != NULL) {
		if (parse_u32(group, &n) == 0) {
			u->gid = n;
		} else {
			int found = 0;
			for (size_t i = 0; i < ngroups && !found; i++)
				if (strcmp(groups[i].name, group) == 0)
					u->gid = groups[i].gid, found = 1;
			if (!found) {
				snprintf(err, errlen, "unable to find group %s: no matching entries in group file", group);
				return -1;
			}
		}
	}
	// A passwd entry without a name has no supplementary groups: an empty
	// member of a group's list is not its name (as ResolveUser).
	if (name != NULL && name[0] != '\0')
		for (size_t i = 0; i < ngroups; i++)
			for (size_t j = 0; j < groups[i].members.n; j++)
				if (strcmp(groups[i].members.v[j], name) == 0 && groups[i].gid != u->gid)
					add_gid(u, groups[i].gid);
	if (u->home[0] == '\0')
		u->home = "/";
	return 0;
}

// keepid_passwd adds the keep-id user's entry to the container's
// /etc/passwd (its text old) when the image has none for its uid: a passwd of our own on
// a small tmpfs, bound over the image's, so the image is not changed.
static void keepid_passwd(const struct spec *s, struct exec_user *u, const char *old) {
	if (!s->keepid || s->keepid_uid != u->uid)
		return;
	if (old == NULL)
		return; // no passwd database to extend: nothing reads one
	char *copy = xstrdup(old);
	struct passwd_entry *users;
	size_t n = parse_passwd(copy, &users);
	for (size_t i = 0; i < n; i++)
		if (users[i].uid == u->uid || strcmp(users[i].name, s->keepid_name) == 0)
			return;
	// The home is the working directory unless the user's home is a volume.
	const char *home = s->cwd && *s->cwd ? s->cwd : "/";
	for (size_t i = 0; i < s->nmounts; i++) {
		if (*s->keepid_home == '\0')
			break;
		char *a = path_clean(s->mounts[i].dest), *b = path_clean(s->keepid_home);
		if (strcmp(a, b) == 0)
			home = s->keepid_home;
	}
	char *line = xasprintf("%s:*:%u:%u:%s:%s:/bin/sh\n", s->keepid_name, u->uid, u->gid, s->keepid_name, home);
	char dir[] = "/dev/.rpod-passwd-XXXXXX";
	if (mkdtemp(dir) == NULL)
		die(EXIT_RPOD, "keep-id passwd entry: mkdirtemp /dev/.rpod-passwd-*: %s", errstr(errno));
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=755") < 0)
		die(EXIT_RPOD, "keep-id passwd entry: %s", errstr(errno));
	size_t len = strlen(old);
	char *content = xasprintf("%s%s%s", old, len > 0 && old[len - 1] != '\n' ? "\n" : "", line);
	char *p = xasprintf("%s/passwd", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
		die(EXIT_RPOD, "keep-id passwd entry: write %s: %s", p, errstr(errno));
	close(fd);
	if (mount(p, "/etc/passwd", "", MS_BIND, "") < 0)
		die(EXIT_RPOD, "keep-id passwd entry: bind over /etc/passwd: %s", errstr(errno));
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	u->home = (char *)home;
}

// group_add_in adds the groups of --group-add to u's, names looked up in
// the group file's text (NULL for none), which it cuts up; -1 with err set
// when a name is not found.
int group_add_in(const struct strv *add, char *group_text, struct exec_user *u, char *err, size_t errlen) {
	struct group_entry *groups = NULL;
	size_t ngroups = group_text ? parse_group(group_text, &groups) : 0;
	for (size_t i = 0; i < add->n; i++) {
		const char *g = add->v[i];
		uint32_t gid = 0;
		if (parse_u32(g, &gid) < 0) {
			int found = 0;
			for (size_t j = 0; j < ngroups && !found; j++)
				if (strcmp(groups[j].name, g) == 0)
					gid = groups[j].gid, found = 1;
			if (!found) {
				snprintf(err, errlen, "unable to find group %s: no matching entries in group file of the container (--group-add)", g);
				return -1;
			}
		}
		int have = 0;
		for (size_t j = 0; j < u->ngroups; j++)
			have |= u->groups[j] == gid;
		if (!have)
			add_gid(u, gid);
	}
	return 0;
}

void process_user(const struct spec *s, struct exec_user *u, struct strv *env, const char **cwd) {
	// Each file read once; the parsers cut up a copy.
	char err[1024], *passwd = read_small("/etc/passwd"), *group = read_small("/etc/group");
	if (resolve_user_in(s->user, passwd ? xstrdup(passwd) : NULL, group ? xstrdup(group) : NULL, u, err, sizeof err) < 0)
		die(EXIT_RPOD, "%s", err);
	keepid_passwd(s, u, passwd);
	if (s->group_add.n > 0 && group_add_in(&s->group_add, group, u, err, sizeof err) < 0)
		die(EXIT_RPOD, "%s", err);
	*env = (struct strv){0};
	int home = 0;
	for (size_t i = 0; i < s->env.n; i++) {
		strv_add(env, s->env.v[i]);
		home |= strncmp(s->env.v[i], "HOME=", 5) == 0;
	}
	if (!home)
		strv_add(env, xasprintf("HOME=%s", u->home));
	*cwd = s->cwd && *s->cwd ? s->cwd : "/";
}
