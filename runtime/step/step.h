// The container's init step and rpod exec's step, in C: see step.go.
#ifndef RPOD_STEP_H
#define RPOD_STEP_H

#include <stddef.h>
#include <stdint.h>

// argv[1] of each step (runtime/spec.go's initArg, runtime/execstep.go's execArg).
#define STEP_INIT_ARG "__rpod_init"
#define STEP_EXEC_ARG "__rpod_exec"

// The step's end of its socket to rpod.
#define SYNC_FD 3

// Exit codes podman gives for failures before the command runs.
#define EXIT_RPOD 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

// The container path the init step binds --init's binary on.
#define INIT_MOUNT_POINT "/run/rpod-init"

// A list of strings, NULL-terminated, as execve takes them.
struct strv {
	char **v;
	size_t n, cap;
};

struct mount_spec {
	const char *type, *source, *dest, *data;
	unsigned long flags; // nosuid, nodev, noexec from its options
	int readonly;
};

struct ulimit_spec {
	const char *name;
	int resource;
	uint64_t soft, hard;
};

struct device_spec {
	const char *source, *dest;
	int optional;
};

// spec is what rpod sends a step (runtime/stepspec.go encodes it).
struct spec {
	const char *rootfs, *cwd, *user, *hostname;
	struct strv args, env;
	int terminal, no_new_privs;
	uint64_t caps; // the capability set of a root process
	int cap_last;  // the kernel's last capability (cap_last_cap)
	const unsigned char *seccomp; // a BPF program, or NULL for none
	size_t seccomp_len;
	unsigned seccomp_flags;
	int seccomp_profile; // the program is the user's profile, not the default
	struct mount_spec *mounts;
	size_t nmounts;
	int readonly;
	struct ulimit_spec *ulimits;
	size_t nulimits;
	const char *shm_data; // tmpfs options of /dev/shm
	struct strv sysctls;  // name, value, name, value...
	struct device_spec *devices;
	size_t ndevices;
	int host_pid, host_ipc, host_uts, host_cgroupns;
	struct strv masked, readonly_paths;
	// keep-id: the uid whose passwd entry the step adds, and its name and home.
	int keepid;
	uint32_t keepid_uid;
	const char *keepid_name, *keepid_home;
	struct strv group_add;
	const char *init_path; // --init's binary, or NULL
	const char *netns;     // a network namespace to join, or NULL
	struct strv etc_files;
	const char *etc_dir;
	int console, console_rows, console_cols;
	int pdeathsig, await_network;
	int tree_fd; // the rootfs mount of a prestarted init step, or -1
	// What came after the spec on the socket (the go-ahead, maybe).
	unsigned char *more;
	size_t nmore;
};

// The user a command runs as.
struct exec_user {
	uint32_t uid, gid;
	uint32_t *groups;
	size_t ngroups;
	char *home;
};

// step.c
int rpod_step_main(int argc, char **argv);
void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
const char *errstr(int e);
void strv_add(struct strv *l, const char *s);
void *xtrack(void *p);
void *xrealloc(void *old, size_t n);
void step_free_all(void);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xcalloc(size_t n, size_t size);
char *read_small(const char *path); // NULL when it cannot be read

// spec.c
size_t spec_end(const unsigned char *buf, size_t n);
void decode_spec(struct spec *s, const unsigned char *buf, size_t n);
int recv_spec(struct spec *s, char *err, size_t errlen);
int await_go_ahead(struct spec *s);
void send_pty(int master, const struct spec *s);

// path.c
#define PATH_ERR_MAX 8192
extern char mkdir_error[PATH_ERR_MAX];
char *path_clean(const char *p);
char *path_join(const char *a, const char *b);
int path_depth(const char *p);
int mkdir_all(const char *path, unsigned mode);
char *resolve_in(const char *root, const char *p, char *err, size_t errlen);

// mounts.c
void init_mounts(struct spec *s);
void pivot(const char *root);
void mask_paths(const struct spec *s);
void setup_terminal(const char *root, const struct spec *s);
void exec_terminal(const struct spec *s, uint32_t uid);

// user.c
int resolve_user_in(const char *spec, char *passwd, char *group, struct exec_user *u, char *err, size_t errlen);
int group_add_in(const struct strv *add, char *group, struct exec_user *u, char *err, size_t errlen);
void process_user(const struct spec *s, struct exec_user *u, struct strv *env, const char **cwd);

#endif
