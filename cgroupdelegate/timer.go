package cgroupdelegate

import (
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// Timer is a transient timer of the user's systemd instance and the
// service it starts (podman's health check timer): Name.timer starts
// Name.service Interval after its own start, then Interval after each run
// of the service ends, so that runs never overlap.
type Timer struct {
	Name        string        // unit name without its suffix
	Description string        // of both units
	Interval    time.Duration // at least a second
	Argv        []string      // the service's command; Argv[0] is an absolute path
	Env         []string      // the service's environment, K=V
}

// ErrNoUserManager is wrapped by StartTimer's error when h has no systemd
// user instance to ask (the cgroupfs and none managers).
var ErrNoUserManager = errors.New("no systemd user instance")

// execCommand is one (sasb) of ExecStart: path, argv, failure ignored.
type execCommand struct {
	Path   string
	Args   []string
	Ignore bool
}

// monotonicTimer is one (st) of TimersMonotonic: base and µs.
type monotonicTimer struct {
	Base string
	USec uint64
}

// timerProps are the properties of t's timer and of its service.
func timerProps(t Timer) (timer, service []property) {
	usec := uint64(t.Interval / time.Microsecond)
	timer = []property{
		{"Description", dbus.MakeVariant(t.Description)},
		{"TimersMonotonic", dbus.MakeVariant([]monotonicTimer{{"OnActiveSec", usec}, {"OnUnitInactiveSec", usec}})},
		{"AccuracyUSec", dbus.MakeVariant(uint64(time.Second / time.Microsecond))},
		{"RemainAfterElapse", dbus.MakeVariant(false)},
		{"CollectMode", dbus.MakeVariant("inactive-or-failed")},
	}
	service = []property{
		{"Description", dbus.MakeVariant(t.Description)},
		// A failing check is a result, not the unit's failure: nothing is
		// left behind as failed, and the timer goes on.
		{"ExecStart", dbus.MakeVariant([]execCommand{{t.Argv[0], t.Argv, true}})},
		{"Environment", dbus.MakeVariant(t.Env)},
		// As podman: systemd's Started/Finished lines for each run stay out of the journal.
		{"LogLevelMax", dbus.MakeVariant(int32(5))},
		// Checks every second would hit the default start limit (5 in 10 s).
		{"StartLimitIntervalUSec", dbus.MakeVariant(uint64(0))},
		{"CollectMode", dbus.MakeVariant("inactive-or-failed")},
	}
	return timer, service
}

// StartTimer starts t on h's systemd user instance, replacing units of
// the same names left by a process that died before it could stop them.
func (h Host) StartTimer(t Timer) error {
	if h.Manager != ManagerSystemd {
		return fmt.Errorf("start systemd timer %s.timer: %w", t.Name, ErrNoUserManager)
	}
	if t.Name == "" || len(t.Argv) == 0 || t.Interval < time.Second {
		return fmt.Errorf("start systemd timer %q: no name, command or interval of 1s or more", t.Name)
	}
	conn, err := dialUserBus(h.busAddrs, h.uid)
	if err != nil {
		return fmt.Errorf("connect to the systemd user instance: %w", err)
	}
	defer conn.Close()
	timerProps, serviceProps := timerProps(t)
	aux := []auxUnit{{t.Name + ".service", serviceProps}}
	unit := t.Name + ".timer"
	w, err := watchJobs(conn)
	if err == nil {
		defer w.close()
		// Units of an earlier run: stopped, they stay loaded until systemd
		// collects them, a moment later.
		err = w.startTransient("start systemd timer "+unit, unit, timerProps, aux, unloadTimeout, func() {
			stopUnits(conn, unit, t.Name+".service")
		})
	} else {
		err = fmt.Errorf("start systemd timer %s: %w", unit, err)
	}
	if err != nil {
		stopUnits(conn, unit, t.Name+".service")
	}
	return err
}

// unloadTimeout bounds the wait for stopped units of the same names to unload.
var unloadTimeout = 10 * time.Second

// StopUnits stops each of units on h's systemd user instance and waits
// until they are down, clearing any failed state so that they unload;
// units that are not there are no error.
func (h Host) StopUnits(units ...string) error {
	if h.Manager != ManagerSystemd {
		return nil
	}
	conn, err := dialUserBus(h.busAddrs, h.uid)
	if err != nil {
		return fmt.Errorf("connect to the systemd user instance: %w", err)
	}
	defer conn.Close()
	return stopUnits(conn, units...)
}
