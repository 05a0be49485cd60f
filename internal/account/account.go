// Package account looks users up by uid: in /etc/passwd, then through the
// system's name service with getent(1).
//
// rpod's light build (make build) is linked statically and with Go's own
// user lookup (the osusergo tag), which reads /etc/passwd alone: a static
// binary cannot load glibc's name service modules safely, and a dynamic
// one paid 1-3 ms of every start to the dynamic loader (bench/README.md,
// session 16). Users from LDAP or sssd, common on shared build hosts, are
// found through getent, which runs the system's own name service.
package account

import (
	"bytes"
	"fmt"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
)

// getent is the program the name service is asked through.
var getent = "getent"

// LookupID returns the user whose uid is uid.
func LookupID(uid int) (*user.User, error) {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err == nil {
		return u, nil
	}
	out, gerr := exec.Command(getent, "passwd", strconv.Itoa(uid)).Output()
	if gerr != nil {
		return nil, err // getent exits 2 for no such user: the lookup's own error says it
	}
	line, _, _ := bytes.Cut(out, []byte("\n"))
	return ParsePasswd(string(line), uid)
}

// Name returns the name of uid, or the number when it has none.
func Name(uid int) string {
	if u, err := LookupID(uid); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}

// ParsePasswd parses one passwd(5) line, name:password:uid:gid:gecos:home:shell,
// for the user whose uid is uid.
func ParsePasswd(line string, uid int) (*user.User, error) {
	if strings.ContainsRune(line, '\n') {
		return nil, fmt.Errorf("passwd entry %q: want one line", line)
	}
	f := strings.Split(line, ":")
	if len(f) != 7 || f[0] == "" {
		return nil, fmt.Errorf("passwd entry %q: want 7 fields, name first", line)
	}
	if got, err := strconv.Atoi(f[2]); err != nil || got != uid {
		return nil, fmt.Errorf("passwd entry %q: want uid %d", line, uid)
	}
	if _, err := strconv.Atoi(f[3]); err != nil {
		return nil, fmt.Errorf("passwd entry %q: gid %q is not a number", line, f[3])
	}
	gecos, _, _ := strings.Cut(f[4], ",")
	return &user.User{Uid: strconv.Itoa(uid), Gid: f[3], Username: f[0], Name: gecos, HomeDir: f[5]}, nil
}
