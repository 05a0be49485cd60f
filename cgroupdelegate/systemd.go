package cgroupdelegate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	sdDest    = "org.freedesktop.systemd1"
	sdPath    = dbus.ObjectPath("/org/freedesktop/systemd1")
	sdManager = "org.freedesktop.systemd1.Manager"
)

// busTimeout bounds each D-Bus call; jobTimeout bounds a scope's start job
// (seconds on a loaded machine, so generous).
var (
	busTimeout = 10 * time.Second
	jobTimeout = 60 * time.Second
)

// errUnitExists: a unit of the same name is there, not ours to stop.
var errUnitExists = errors.New("it exists already and stays")

// dialUserBus connects to the first reachable session bus in addrs on
// which the user's systemd instance answers. Authentication names uid
// explicitly: godbus would send os.Getuid(), 0 in rpod's user namespace.
func dialUserBus(addrs []string, uid int) (*dbus.Conn, error) {
	var errs []error
	for _, a := range addrs {
		conn, err := dbus.Connect(a, dbus.WithAuth(dbus.AuthExternal(strconv.Itoa(uid))))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a, err))
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
		err = conn.Object(sdDest, sdPath).CallWithContext(ctx, "org.freedesktop.DBus.Peer.Ping", 0).Err
		cancel()
		if err != nil {
			conn.Close()
			errs = append(errs, fmt.Errorf("%s: systemd: %w", a, err))
			continue
		}
		return conn, nil
	}
	return nil, errors.Join(errs...)
}

// managerCgroup is the cgroup of the user's systemd instance (user@UID.service), or "".
func managerCgroup(conn *dbus.Conn) string {
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	var v dbus.Variant
	err := conn.Object(sdDest, sdPath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, sdManager, "ControlGroup").Store(&v)
	if err != nil {
		return ""
	}
	s, _ := v.Value().(string)
	return s
}

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

func isDBusError(err error, name string) bool {
	var de dbus.Error
	return errors.As(err, &de) && de.Name == name
}

const unitExists = "org.freedesktop.systemd1.UnitExists"

// scopeProps are the properties of a delegated scope with pids in it, in slice.
func scopeProps(slice, desc string, pids []int) []property {
	upids := make([]uint32, len(pids))
	for i, p := range pids {
		upids[i] = uint32(p)
	}
	return []property{
		{"Description", dbus.MakeVariant(desc)},
		{"Slice", dbus.MakeVariant(slice)},
		{"Delegate", dbus.MakeVariant(true)},
		{"PIDs", dbus.MakeVariant(upids)},
		// A scope that failed is collected too, not kept around as failed.
		{"CollectMode", dbus.MakeVariant("inactive-or-failed")},
	}
}

// startScope starts the transient scope unit with pids in it, delegated,
// in slice, and waits until systemd says its start job is done.
func startScope(conn *dbus.Conn, unit, slice, desc string, pids []int) error {
	w, err := watchJobs(conn)
	if err != nil {
		return err
	}
	defer w.close()
	// The scope of the container's previous run: systemd removes it once it
	// notices its last process is gone.
	err = w.startTransient("start systemd scope "+unit, unit, scopeProps(slice, desc, pids), nil, jobTimeout, nil)
	if isDBusError(err, unitExists) {
		return fmt.Errorf("start systemd scope %s: %w: is the container running elsewhere? "+
			"(systemctl --user stop %s removes it)", unit, errUnitExists, unit)
	}
	return err
}

var jobSignals = []dbus.MatchOption{dbus.WithMatchInterface(sdManager), dbus.WithMatchMember("JobRemoved")}

// jobWatch receives systemd's JobRemoved signals on conn from before a job
// is queued, so that no job can end unseen.
type jobWatch struct {
	conn *dbus.Conn
	sigs chan *dbus.Signal
}

// watchJobs subscribes conn to systemd's job signals until close.
func watchJobs(conn *dbus.Conn) (*jobWatch, error) {
	w := &jobWatch{conn, make(chan *dbus.Signal, 16)}
	conn.Signal(w.sigs)
	if err := conn.AddMatchSignal(jobSignals...); err != nil {
		conn.RemoveSignal(w.sigs)
		return nil, fmt.Errorf("subscribe to systemd's job signals: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	// Signals go out only once some client has subscribed. The subscription
	// lasts as long as the connection, so a second watch on it is refused as
	// already subscribed: the signals come all the same.
	err := conn.Object(sdDest, sdPath).CallWithContext(ctx, sdManager+".Subscribe", 0).Err
	if err != nil && !isDBusError(err, "org.freedesktop.systemd1.AlreadySubscribed") {
		w.close()
		return nil, fmt.Errorf("subscribe to systemd's job signals: %w", err)
	}
	return w, nil
}

func (w *jobWatch) close() {
	// Bounded: on a bus that stopped answering, the caller's error matters, not the rule.
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	w.conn.RemoveMatchSignalContext(ctx, jobSignals...)
	w.conn.RemoveSignal(w.sigs)
}

// queueJob calls method of systemd's manager, one that queues a job.
func queueJob(conn *dbus.Conn, method string, args ...any) (dbus.ObjectPath, error) {
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	var job dbus.ObjectPath
	err := conn.Object(sdDest, sdPath).CallWithContext(ctx, sdManager+"."+method, 0, args...).Store(&job)
	return job, err
}

// run queues a job with method and waits until systemd reports it done; a
// job that ends otherwise is an error.
func (w *jobWatch) run(what, method string, args ...any) error {
	job, err := queueJob(w.conn, method, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return w.wait(job, what)
}

// wait waits for the JobRemoved signal of job and fails unless it is done.
func (w *jobWatch) wait(job dbus.ObjectPath, what string) error {
	timer := time.NewTimer(jobTimeout)
	defer timer.Stop()
	for {
		select {
		case s := <-w.sigs:
			if s == nil || s.Name != sdManager+".JobRemoved" || len(s.Body) < 4 {
				continue
			}
			if p, _ := s.Body[1].(dbus.ObjectPath); p != job {
				continue
			}
			if result, _ := s.Body[3].(string); result != "done" {
				return fmt.Errorf("%s: job %s", what, result)
			}
			return nil
		case <-timer.C:
			return fmt.Errorf("%s: systemd did not finish the job within %s", what, jobTimeout)
		}
	}
}

// startTransient starts the transient unit, with aux, and waits for its
// job. A unit of the same name may still be there, on its way out: it
// retries for patience, calling evict (if any) at the first refusal, then
// gives up with systemd's UnitExists error.
func (w *jobWatch) startTransient(what, unit string, props []property, aux []auxUnit, patience time.Duration, evict func()) error {
	for stale := time.Now().Add(patience); ; {
		err := w.run(what, "StartTransientUnit", unit, "fail", props, aux)
		if !isDBusError(err, unitExists) || time.Now().After(stale) {
			return err
		}
		if evict != nil {
			evict()
			evict = nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopUnit asks systemd to stop unit in job mode and, with wait, waits
// until it is down.
func stopUnit(conn *dbus.Conn, unit, mode string, wait bool) error {
	what := "stop systemd unit " + unit
	if !wait {
		if _, err := queueJob(conn, "StopUnit", unit, mode); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	w, err := watchJobs(conn)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer w.close()
	return w.run(what, "StopUnit", unit, mode)
}

// stopUnits stops each of units and waits until they are down, clearing
// any failed state so that they unload; units that are not there are no error.
func stopUnits(conn *dbus.Conn, units ...string) error {
	var errs []error
	for _, u := range units {
		err := stopUnit(conn, u, "replace", true)
		if err != nil && !isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
			errs = append(errs, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
		conn.Object(sdDest, sdPath).CallWithContext(ctx, sdManager+".ResetFailedUnit", 0, u)
		cancel()
	}
	return errors.Join(errs...)
}

// sliceDir is the cgroup path of a slice below its manager's cgroup:
// systemd nests a-b.slice in a.slice.
func sliceDir(slice string) string {
	name, ok := strings.CutSuffix(slice, ".slice")
	if !ok || name == "" || name == "-" || strings.ContainsAny(name, "/ ") || strings.Contains(name, "--") ||
		strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return ""
	}
	parts := strings.Split(name, "-")
	dir := ""
	for i := range parts {
		dir += "/" + strings.Join(parts[:i+1], "-") + ".slice"
	}
	return dir
}

// attachToUnit asks systemd to move pids into subcgroup (e.g. "/container")
// of unit: it may move processes out of cgroups the user cannot write
// (a login session's scope), asking the system instance if it must.
func attachToUnit(conn *dbus.Conn, unit, subcgroup string, pids []int) error {
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	upids := make([]uint32, len(pids))
	for i, p := range pids {
		upids[i] = uint32(p)
	}
	err := conn.Object(sdDest, sdPath).CallWithContext(ctx, sdManager+".AttachProcessesToUnit", 0, unit, subcgroup, upids).Err
	if err != nil {
		return fmt.Errorf("ask systemd to move %v into %s%s: %w", pids, unit, subcgroup, err)
	}
	return nil
}
