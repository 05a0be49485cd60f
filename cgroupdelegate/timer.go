package cgroupdelegate

import (
	"context"
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

// property is one (sv) of StartTransientUnit.
type property struct {
	Name  string
	Value dbus.Variant
}

// auxUnit is one (sa(sv)) of StartTransientUnit: a unit started with the main one.
type auxUnit struct {
	Name  string
	Props []property
}

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
	start := func(obj dbus.BusObject, ctx context.Context) (dbus.ObjectPath, error) {
		var job dbus.ObjectPath
		err := obj.CallWithContext(ctx, sdManager+".StartTransientUnit", 0, unit, "fail", timerProps, aux).Store(&job)
		return job, err
	}
	stopped := false
	for stale := time.Now().Add(unloadTimeout); ; {
		err = runJob(conn, "start systemd timer "+unit, start)
		if !isDBusError(err, "org.freedesktop.systemd1.UnitExists") || time.Now().After(stale) {
			break
		}
		// Units of an earlier run: stopped, they stay loaded until
		// systemd collects them, a moment later.
		if !stopped {
			stopUnits(conn, unit, t.Name+".service")
			stopped = true
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		stopUnits(conn, unit, t.Name+".service")
		return err
	}
	return nil
}

// unloadTimeout bounds the wait for stopped units of the same names to unload.
var unloadTimeout = 10 * time.Second

func isDBusError(err error, name string) bool {
	var de dbus.Error
	return errors.As(err, &de) && de.Name == name
}

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

func stopUnits(conn *dbus.Conn, units ...string) error {
	var errs []error
	for _, u := range units {
		err := runJob(conn, "stop systemd unit "+u, func(obj dbus.BusObject, ctx context.Context) (dbus.ObjectPath, error) {
			var job dbus.ObjectPath
			err := obj.CallWithContext(ctx, sdManager+".StopUnit", 0, u, "replace").Store(&job)
			return job, err
		})
		if err != nil && !isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
			errs = append(errs, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
		conn.Object(sdDest, sdPath).CallWithContext(ctx, sdManager+".ResetFailedUnit", 0, u)
		cancel()
	}
	return errors.Join(errs...)
}

// runJob makes the call that queues a job, via call, and waits until
// systemd reports the job done; a job that ends otherwise is an error.
func runJob(conn *dbus.Conn, what string, call func(dbus.BusObject, context.Context) (dbus.ObjectPath, error)) error {
	sigs := make(chan *dbus.Signal, 16)
	conn.Signal(sigs)
	defer conn.RemoveSignal(sigs)
	match := []dbus.MatchOption{dbus.WithMatchInterface(sdManager), dbus.WithMatchMember("JobRemoved")}
	if err := conn.AddMatchSignal(match...); err != nil {
		return fmt.Errorf("%s: subscribe to systemd's job signals: %w", what, err)
	}
	defer conn.RemoveMatchSignal(match...)
	obj := conn.Object(sdDest, sdPath)
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	// Signals go out only once some client has subscribed; the
	// subscription ends with the connection, so that a second job on it
	// finds it subscribed already.
	if err := obj.CallWithContext(ctx, sdManager+".Subscribe", 0).Err; err != nil &&
		!isDBusError(err, "org.freedesktop.systemd1.AlreadySubscribed") {
		return fmt.Errorf("%s: subscribe to systemd's job signals: %w", what, err)
	}
	job, err := call(obj, ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return waitJob(sigs, job, what) // systemd.go
}
