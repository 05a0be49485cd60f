package runtime

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/proc"
)

// RestartPolicy is what the monitor does when the container's command exits (--restart).
type RestartPolicy struct {
	// Name is no, on-failure, always or unless-stopped ("" is no).
	Name string `json:"name,omitempty"`
	// MaxRetries bounds on-failure's restarts; 0 is no bound.
	MaxRetries uint `json:"maxRetries,omitempty"`
}

const validRestart = "use no, on-failure[:N], always or unless-stopped"

// ParseRestartPolicy reads --restart as podman does: no, on-failure[:N], always, unless-stopped.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case "", "no", "always", "unless-stopped":
		if hasCount {
			return RestartPolicy{}, fmt.Errorf("invalid restart policy %q: only on-failure takes a retry count; %s", s, validRestart)
		}
		if name == "" {
			name = "no"
		}
		return RestartPolicy{Name: name}, nil
	case "on-failure":
		p := RestartPolicy{Name: name}
		if !hasCount {
			return p, nil
		}
		n, err := strconv.ParseUint(count, 10, 31)
		if err != nil {
			return RestartPolicy{}, fmt.Errorf("invalid restart policy %q: the retry count must be a number of 0 or more; %s", s, validRestart)
		}
		p.MaxRetries = uint(n)
		return p, nil
	}
	return RestartPolicy{}, fmt.Errorf("invalid restart policy %q: %s", s, validRestart)
}

// Restarts reports whether the policy restarts the container: it has
// restarted restarts times already and its command exited with code.
// A container the user stopped is never restarted.
func (p RestartPolicy) Restarts(code int, restarts uint, stoppedByUser bool) bool {
	if stoppedByUser {
		return false
	}
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaxRetries == 0 || restarts < p.MaxRetries)
	}
	return false
}

// Active reports whether the policy ever restarts anything.
func (p RestartPolicy) Active() bool { return p.Name != "" && p.Name != "no" }

// restartDelay is the wait before restart number n (0-based): 100 ms doubling, at most a minute.
func restartDelay(n uint) time.Duration {
	d := 100 * time.Millisecond
	for i := uint(0); i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// The user's stop is a file next to state.json rather than a state field:
// the monitor and `rpod stop` would otherwise race to rewrite the state.
const stoppedFile = "stopped-by-user"

func (c *Container) stoppedPath() (string, error) { return c.file(stoppedFile) }

// markStoppedByUser tells the monitor not to restart the container.
func (c *Container) markStoppedByUser() {
	if p, err := c.stoppedPath(); err == nil {
		os.WriteFile(p, nil, 0o600)
	}
}

// clearStoppedByUser is a fresh start's: the policy applies again.
func (c *Container) clearStoppedByUser() {
	if p, err := c.stoppedPath(); err == nil {
		os.Remove(p)
	}
}

// stoppedByUser reports whether the user stopped the container, or removed it.
func (c *Container) stoppedByUser() bool {
	p, err := c.stoppedPath()
	if err != nil {
		return true
	}
	_, err = os.Stat(p)
	if err == nil {
		return true
	}
	// Removed under the monitor: nothing left to restart.
	_, err = c.recorded()
	return err != nil && !errors.Is(err, os.ErrPermission)
}

// endRestartWait ends a monitor waiting to restart the container, which
// the user has stopped, and waits up to d for it to exit: a start that
// follows must not race with it.
func (c *Container) endRestartWait(d time.Duration) {
	s, err := c.recorded()
	if err != nil || s.Status == "running" || s.MonitorPid == 0 || !proc.Alive(s.MonitorPid, s.MonitorStart) {
		return
	}
	unix.Kill(s.MonitorPid, unix.SIGTERM)
	waitFor(d, func() bool { return !proc.Alive(s.MonitorPid, s.MonitorStart) })
}

// backoff waits d before a restart; SIGTERM on wake (endRestartWait) cuts it short.
func backoff(d time.Duration, wake <-chan os.Signal) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	}
}

// drain forgets signals that came during a run: the container had them.
func drain(c <-chan os.Signal) (got bool) {
	for {
		select {
		case <-c:
			got = true
		default:
			return got
		}
	}
}
