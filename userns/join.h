#ifndef RPOD_JOIN_H
#define RPOD_JOIN_H
// rpod_join_error holds why the constructor could not join an existing pause process.
extern char rpod_join_error[256];
// rpod_joined_uid and rpod_joined_gid are the user's host ids once joined, else -1.
extern int rpod_joined_uid;
extern int rpod_joined_gid;
#endif
