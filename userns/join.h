#ifndef RPOD_JOIN_H
#define RPOD_JOIN_H
#include <sys/types.h>
// rpod_join_error holds why the constructor could not join an existing pause process.
extern char rpod_join_error[256];
// rpod_joined_uid and rpod_joined_gid are the user's host ids once joined, else -1.
extern int rpod_joined_uid;
extern int rpod_joined_gid;
// rpod_exec_enter joins a running container for rpod exec (see exec.c); it
// returns 1 in the child that goes on into Go, 0 for any other command.
int rpod_exec_enter(int argc, char **argv);
// rpod_fork_reporter makes this process a reporter for `rpod run` and
// returns in its child, which sends the exit code on rpod_report_fd and sees
// EOF on rpod_watch_fd when the reporter dies (report.c); both stay -1 in
// any other command, or when the fork was skipped.
void rpod_fork_reporter(void);
extern int rpod_report_fd;
extern int rpod_watch_fd;
// rpod_read_file reads up to len-1 bytes of path (relative to dirfd) into
// buf and ends them with a NUL; it returns how many, or -1.
ssize_t rpod_read_file(int dirfd, const char *path, char *buf, size_t len);
// rpod_start_time returns the start time (field 22) in the /proc stat file
// at path (relative to dirfd), or 0 when the process is gone or a zombie.
unsigned long long rpod_start_time(int dirfd, const char *path);
#endif
