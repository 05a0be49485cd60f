package runtime

import (
	"os"
	"sync"
	"time"
)

// healthyReached is called when the container becomes healthy after not
// being so. In its monitor, which holds the unit's NOTIFY_SOCKET, that is
// --sdnotify=healthy's READY=1 (sdnotify.go; systemd ignores a repeat).
func healthyReached(c *Container) {
	c.NotifyHealthy()
}

// StartHealth starts what runs the container's health check every
// interval while it runs, and returns the function that stops it: a
// transient systemd timer when the user's systemd instance gives one, as
// podman's (healthtimer.go), else a timer in the monitor. It does nothing
// without a check or an interval.
func (c *Container) StartHealth() (stop func()) {
	c.takeHealthRestart() // one left by a run without a monitor
	hc := c.Healthcheck
	if hc == nil || len(hc.Argv()) == 0 {
		return func() {}
	}
	c.resetHealth()
	if hc.Interval <= 0 {
		return func() {}
	}
	if stop, ok := c.startHealthTimer(); ok {
		return stop
	}
	quit := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTicker(hc.Interval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			// A stop after the check began must not see its on-failure action run late.
			select {
			case <-quit:
				return
			default:
			}
			if _, _, err := c.runHealthcheck(true); err != nil && !c.Running() {
				return
			}
		}
	}()
	return func() { once.Do(func() { close(quit) }) }
}

// healthRestartFile marks a restart that --health-on-failure=restart asked
// for, for the monitor (maybe another process than the check's).
const healthRestartFile = "health-restart"

func (c *Container) requestHealthRestart() {
	if p, err := c.file(healthRestartFile); err == nil {
		os.WriteFile(p, nil, 0o600)
	}
}

// takeHealthRestart reports and clears a restart asked for by the health
// check; only --health-on-failure=restart asks, so no other container pays
// for a look in its directory on each start and exit.
func (c *Container) takeHealthRestart() bool {
	if c.Healthcheck == nil || c.Healthcheck.OnFailure != "restart" {
		return false
	}
	p, err := c.file(healthRestartFile)
	if err != nil {
		return false
	}
	return os.Remove(p) == nil
}
