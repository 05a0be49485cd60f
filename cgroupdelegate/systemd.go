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

// startScope starts the transient scope unit with pids in it, delegated,
// in slice, and waits until systemd says its start job is done.
func startScope(conn *dbus.Conn, unit, slice, desc string, pids []int) error {
	sigs := make(chan *dbus.Signal, 16)
	conn.Signal(sigs)
	defer conn.RemoveSignal(sigs)
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(sdManager), dbus.WithMatchMember("JobRemoved")); err != nil {
		return fmt.Errorf("subscribe to systemd's job signals: %w", err)
	}
	obj := conn.Object(sdDest, sdPath)
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	// Signals go out only once some client has subscribed; the subscription
	// ends with our connection.
	if err := obj.CallWithContext(ctx, sdManager+".Subscribe", 0).Err; err != nil {
		return fmt.Errorf("subscribe to systemd's job signals: %w", err)
	}
	upids := make([]uint32, len(pids))
	for i, p := range pids {
		upids[i] = uint32(p)
	}
	props := []struct {
		Name  string
		Value dbus.Variant
	}{
		{"Description", dbus.MakeVariant(desc)},
		{"Slice", dbus.MakeVariant(slice)},
		{"Delegate", dbus.MakeVariant(true)},
		{"PIDs", dbus.MakeVariant(upids)},
		// A scope that failed is collected too, not kept around as failed.
		{"CollectMode", dbus.MakeVariant("inactive-or-failed")},
	}
	aux := []struct {
		Name  string
		Props []struct {
			Name  string
			Value dbus.Variant
		}
	}{}
	var job dbus.ObjectPath
	for stale := time.Now().Add(jobTimeout); ; {
		cctx, ccancel := context.WithTimeout(context.Background(), busTimeout)
		err := obj.CallWithContext(cctx, sdManager+".StartTransientUnit", 0, unit, "fail", props, aux).Store(&job)
		ccancel()
		if err == nil {
			break
		}
		var de dbus.Error
		if !errors.As(err, &de) || de.Name != "org.freedesktop.systemd1.UnitExists" {
			return fmt.Errorf("start systemd scope %s: %w", unit, err)
		}
		// The scope of the container's previous run: systemd removes it
		// once it notices its last process is gone.
		if time.Now().After(stale) {
			return fmt.Errorf("start systemd scope %s: %w: is the container running elsewhere? "+
				"(systemctl --user stop %s removes it)", unit, errUnitExists, unit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return waitJob(sigs, job, "start systemd scope "+unit)
}

// waitJob waits for systemd's JobRemoved signal of job on sigs (the
// caller subscribed before it queued the job) and fails unless it is done.
func waitJob(sigs <-chan *dbus.Signal, job dbus.ObjectPath, what string) error {
	timer := time.NewTimer(jobTimeout)
	defer timer.Stop()
	for {
		select {
		case s := <-sigs:
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

// stopUnit asks systemd to stop unit, without waiting.
func stopUnit(conn *dbus.Conn, unit string) error {
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	err := conn.Object(sdDest, sdPath).CallWithContext(ctx, sdManager+".StopUnit", 0, unit, "fail").Err
	if err != nil {
		return fmt.Errorf("stop systemd unit %s: %w", unit, err)
	}
	return nil
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
