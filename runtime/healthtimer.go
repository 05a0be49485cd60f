package runtime

import (
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rpod/rpod/cgroupdelegate"
)

// With a systemd user instance, a container's periodic health checks run
// as podman's do: a transient <id>.timer starts <id>.service, which runs
// `rpod healthcheck run <id>`, every interval while the container runs.
// The monitor starts them with the container and stops them when it ends;
// without systemd, or when the timer cannot be had, the monitor runs the
// checks itself (health_monitor.go).

// HealthRunArgs are the arguments, after the rpod executable, of the
// command the timer's service runs; the CLI adds the global flags that
// opened the container's store (--root, --runroot...).
var HealthRunArgs = func(id string) []string { return []string{"healthcheck", "run", id} }

// HealthTimerEnv is set, to the container's id, in the environment of a
// check run by its timer.
const HealthTimerEnv = "RPOD_HEALTHCHECK_TIMER"

// What runs the checks of the current run, recorded in the container's
// health-driver file with why not systemd's timer when it could not be
// had: the fallback is silent otherwise.
const (
	healthDriverFile    = "health-driver"
	healthDriverSystemd = "systemd"
	healthDriverMonitor = "monitor"
)

// healthUnits are the names of the container's timer and service.
func healthUnits(id string) (timer, service string) { return id + ".timer", id + ".service" }

// startHealthTimer starts the container's transient timer; ok is false
// when there is no systemd user instance or it would not start one.
func (c *Container) startHealthTimer() (stop func(), ok bool) {
	h := DetectCgroups()
	if h.Manager != cgroupdelegate.ManagerSystemd {
		c.recordHealthDriver(healthDriverMonitor, "no systemd user instance ("+h.Manager+" cgroup manager)")
		return nil, false
	}
	exe, err := os.Executable()
	if err != nil {
		c.recordHealthDriver(healthDriverMonitor, err.Error())
		return nil, false
	}
	t := cgroupdelegate.Timer{
		Name:        c.ID,
		Description: "rpod healthcheck run " + c.ID,
		Interval:    max(c.Healthcheck.Interval, time.Second),
		Argv:        append([]string{exe}, HealthRunArgs(c.ID)...),
		Env:         healthTimerEnv(os.Environ(), c.ID),
	}
	if err := h.StartTimer(t); err != nil {
		c.recordHealthDriver(healthDriverMonitor, err.Error())
		return nil, false
	}
	timer, service := healthUnits(c.ID)
	c.recordHealthDriver(healthDriverSystemd, timer)
	quit := make(chan struct{})
	go c.watchHealthy(quit)
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			// The timer first, so that it starts no check meanwhile; a check
			// that runs is ended: its container has.
			if err := h.StopUnits(timer, service); err != nil {
				c.recordHealthDriver(healthDriverSystemd, timer+" (stop: "+err.Error()+")")
			}
		})
	}, true
}

// StopHealthTimer stops the container's timer, for a check that the timer
// started after the container ended without its monitor stopping it (a
// monitor killed, a container removed meanwhile). The check's own service
// ends by itself.
func StopHealthTimer(id string) error {
	timer, _ := healthUnits(id)
	return DetectCgroups().StopUnits(timer)
}

// recordHealthDriver writes the health-driver file: "systemd UNIT" or
// "monitor WHY-NOT-SYSTEMD", for whoever wonders which runs the checks.
func (c *Container) recordHealthDriver(driver, detail string) {
	if p, err := c.file(healthDriverFile); err == nil {
		os.WriteFile(p, []byte(driver+" "+strings.ReplaceAll(detail, "\n", " ")+"\n"), 0o600)
	}
}

// watchHealthy is --sdnotify=healthy for checks that another process runs:
// the monitor, which holds the unit's NOTIFY_SOCKET, watches the recorded
// health until it is healthy.
func (c *Container) watchHealthy(quit <-chan struct{}) {
	if c.SdNotifyMode != SdNotifyHealthy {
		return
	}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
		}
		if h := c.Health(); h != nil && h.Status == HealthHealthy {
			healthyReached(c)
			return
		}
	}
}

// healthTimerEnv is the environment of the timer's checks: what locates
// the user's store, configuration and runtime directory, as the monitor
// has it, without what belongs to the monitor's own process or unit
// (rpod's namespace variables, NOTIFY_SOCKET...).
func healthTimerEnv(environ []string, id string) []string {
	var env []string
	for _, kv := range environ {
		k, _, ok := strings.Cut(kv, "=")
		if ok && keepHealthEnv(k) {
			env = append(env, kv)
		}
	}
	return append(env, HealthTimerEnv+"="+id)
}

func keepHealthEnv(k string) bool {
	switch k {
	case "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR",
		"DBUS_SESSION_BUS_ADDRESS", "REGISTRY_AUTH_FILE", "STORAGE_DRIVER", "STORAGE_OPTS":
		return true
	case HealthTimerEnv, "RPOD_SYSTEMD_UNIT":
		return false
	}
	for _, p := range []string{"XDG_", "LC_", "CONTAINERS_", "RPOD_"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}
