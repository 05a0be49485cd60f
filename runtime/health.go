package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/atomicfile"
)

// HealthConfig is a container's health check, podman's (and Docker's) shape.
type HealthConfig struct {
	// Test is ["CMD", arg...] (run as is), ["CMD-SHELL", command] (/bin/sh -c) or ["NONE"].
	Test        []string      `json:"test"`
	Interval    time.Duration `json:"interval,omitempty"` // 0: no timer, rpod healthcheck run only
	Timeout     time.Duration `json:"timeout,omitempty"`
	StartPeriod time.Duration `json:"startPeriod,omitempty"`
	Retries     int           `json:"retries,omitempty"`
	// OnFailure is --health-on-failure: none, kill, restart or stop.
	OnFailure string `json:"onFailure,omitempty"`
}

// Health statuses, as podman's.
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// healthLogMax is how many results the state keeps, as podman.
const healthLogMax = 5

// healthOutputMax is how much of a check's output a result keeps, as podman.
const healthOutputMax = 500

// HealthResult is one run of the check.
type HealthResult struct {
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// HealthState is inspect's .State.Health.
type HealthState struct {
	Status        string         `json:"Status"`
	FailingStreak int            `json:"FailingStreak"`
	Log           []HealthResult `json:"Log"`
}

// Argv is the command the check runs in the container; nil for NONE.
func (h *HealthConfig) Argv() []string {
	if h == nil || len(h.Test) == 0 {
		return nil
	}
	switch h.Test[0] {
	case "CMD":
		return h.Test[1:]
	case "CMD-SHELL":
		return []string{"/bin/sh", "-c", strings.Join(h.Test[1:], " ")}
	case "NONE":
		return nil
	}
	return h.Test
}

// healthPath keeps the health state apart from state.json: the check
// updates it while the monitor records starts and exits.
func (c *Container) healthPath() (string, error) { return c.file("health.json") }

// Health is the container's recorded health; nil without a health check.
func (c *Container) Health() *HealthState {
	if c.Healthcheck == nil || len(c.Healthcheck.Argv()) == 0 {
		return nil
	}
	h := HealthState{Status: HealthStarting, Log: []HealthResult{}}
	if p, err := c.healthPath(); err == nil {
		if b, err := os.ReadFile(p); err == nil {
			json.Unmarshal(b, &h)
		}
	}
	if h.Log == nil {
		h.Log = []HealthResult{}
	}
	return &h
}

// updateHealth changes the recorded health under a lock, so that a check
// run by hand and the monitor's do not lose each other's results.
func (c *Container) updateHealth(f func(*HealthState)) (HealthState, error) {
	p, err := c.healthPath()
	if err != nil {
		return HealthState{}, err
	}
	lock, err := os.OpenFile(p+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return HealthState{}, fmt.Errorf("lock health state: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return HealthState{}, fmt.Errorf("lock health state: %w", err)
	}
	h := HealthState{Status: HealthStarting}
	if b, err := os.ReadFile(p); err == nil {
		json.Unmarshal(b, &h)
	}
	f(&h)
	b, _ := json.Marshal(h)
	if err := atomicfile.WriteFile(p, b, 0o600); err != nil {
		return h, fmt.Errorf("write health state: %w", err)
	}
	return h, nil
}

// resetHealth marks a (re)started container's health as starting, as podman does.
func (c *Container) resetHealth() {
	if c.Healthcheck == nil || len(c.Healthcheck.Argv()) == 0 {
		return
	}
	c.updateHealth(func(h *HealthState) { h.Status, h.FailingStreak = HealthStarting, 0 })
}

// recordHealth adds a result to the health state: a success makes it
// healthy; a failure in the start period is logged only, else it counts
// towards retries, after which the container is unhealthy.
func recordHealth(h *HealthState, r HealthResult, inStartPeriod bool, retries int) {
	h.Log = append(h.Log, r)
	if len(h.Log) > healthLogMax {
		h.Log = append([]HealthResult{}, h.Log[len(h.Log)-healthLogMax:]...)
	}
	if r.ExitCode == 0 {
		h.Status, h.FailingStreak = HealthHealthy, 0
		return
	}
	if inStartPeriod {
		return
	}
	h.FailingStreak++
	if retries < 1 {
		retries = 1
	}
	if h.FailingStreak >= retries {
		h.Status = HealthUnhealthy
	}
}

// ErrNoHealthcheck is podman's answer for a container without a check.
var ErrNoHealthcheck = errors.New("has no defined healthcheck")

// RunHealthcheck runs the container's check once, records the result and
// returns the new health and this run's verdict (healthy, unhealthy, or
// starting for a failure in the start period), applying --health-on-failure
// when the container has just become unhealthy (rpod healthcheck run).
func (c *Container) RunHealthcheck() (HealthState, string, error) { return c.runHealthcheck(false) }

// runHealthcheck is RunHealthcheck; async leaves a stop action running in
// the background, for the monitor, which must record the exit it waits for.
func (c *Container) runHealthcheck(async bool) (HealthState, string, error) {
	hc := c.Healthcheck
	argv := hc.Argv()
	if len(argv) == 0 {
		return HealthState{}, "", fmt.Errorf("container %s %w: give one with --health-cmd when creating it", c.Name, ErrNoHealthcheck)
	}
	st := c.State()
	if st.Status != "running" || st.Pid <= 0 {
		return HealthState{}, "", fmt.Errorf("container %s is not running: start it first (rpod start %s)", c.Name, c.Name)
	}
	if st.Paused {
		return HealthState{}, "", fmt.Errorf("container %s is paused: rpod unpause it first", c.Name)
	}
	res := c.execHealth(st, argv)
	inStart := hc.StartPeriod > 0 && res.Start.Sub(st.StartedAt) < hc.StartPeriod
	var before string
	h, err := c.updateHealth(func(h *HealthState) {
		before = h.Status
		recordHealth(h, res, inStart, hc.Retries)
	})
	verdict := HealthHealthy
	switch {
	case res.ExitCode == 0:
	case inStart:
		verdict = HealthStarting
	default:
		verdict = HealthUnhealthy
	}
	if err != nil {
		return h, verdict, err
	}
	if h.Status == HealthUnhealthy && before != HealthUnhealthy {
		c.onHealthFailure(st, async)
	}
	if h.Status == HealthHealthy && before != HealthHealthy {
		healthyReached(c)
	}
	return h, verdict, nil
}

// onHealthFailure is --health-on-failure for a container just found unhealthy.
func (c *Container) onHealthFailure(st State, async bool) {
	switch c.Healthcheck.OnFailure {
	case "kill":
		c.markStoppedByUser()
		unix.Kill(st.Pid, unix.SIGKILL)
	case "stop":
		if async {
			// Stop waits for the monitor to record the exit: not in its way.
			go c.Stop(c.DefaultStopTimeout())
		} else {
			c.Stop(c.DefaultStopTimeout())
		}
	case "restart":
		// The monitor runs the command again whatever the restart policy (Monitor).
		c.requestHealthRestart()
		unix.Kill(st.Pid, unix.SIGKILL)
	}
}
