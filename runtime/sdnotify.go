package runtime

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rpod/rpod/internal/atomicfile"
)

// What a systemd unit reads of a container: the notify messages of
// --sdnotify, the monitor's pid file (PIDFile= of a Type=forking unit) and
// the --cidfile.

// Modes of --sdnotify, as podman's.
const (
	SdNotifyConmon    = "conmon"    // the monitor sends MAINPID and READY=1 once the command runs
	SdNotifyContainer = "container" // the monitor sends MAINPID; the container sends READY=1 itself
	SdNotifyHealthy   = "healthy"   // the monitor sends MAINPID, READY=1 once the container is healthy
	SdNotifyIgnore    = "ignore"    // nothing is sent
)

// SdNotifyModes are the values of --sdnotify.
var SdNotifyModes = []string{SdNotifyConmon, SdNotifyContainer, SdNotifyHealthy, SdNotifyIgnore}

// NotifySocketInContainer is where --sdnotify=container puts the unit's
// notify socket inside the container (NOTIFY_SOCKET names it there).
const NotifySocketInContainer = "/run/notify/notify.sock"

// SdNotify sends state (newline-separated KEY=VALUE) to $NOTIFY_SOCKET;
// without one (not run by a Type=notify unit) it does nothing.
func SdNotify(state string) error {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return nil
	}
	if strings.HasPrefix(sock, "@") {
		sock = "\x00" + sock[1:] // an abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// NotifyStarted is called by the container's monitor (pid) once the
// container's command runs: with conmon it tells systemd the monitor is
// the unit's main process and the unit is ready; with container or
// healthy only the main process, READY=1 comes later.
func (c *Container) NotifyStarted(pid int) error {
	main := "MAINPID=" + strconv.Itoa(pid)
	switch c.SdNotifyMode {
	case "", SdNotifyConmon:
		return SdNotify(main + "\nREADY=1")
	case SdNotifyContainer, SdNotifyHealthy:
		return SdNotify(main)
	}
	return nil
}

// NotifyHealthy tells systemd a --sdnotify=healthy container is ready; the
// monitor calls it (health_monitor.go): systemd ignores READY=1 from
// outside the unit.
func (c *Container) NotifyHealthy() error {
	if c.SdNotifyMode != SdNotifyHealthy {
		return nil
	}
	return SdNotify("READY=1")
}

// MonitorPidFile is the file holding the monitor's pid while it runs (as
// podman's conmon.pid): in the container's run directory, on tmpfs.
func (c *Container) MonitorPidFile() (string, error) {
	dir, err := c.runDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "monitor.pid"), nil
}

// WriteMonitorPidFile records pid as the container's monitor; the returned
// func removes the file again.
func (c *Container) WriteMonitorPidFile(pid int) (func(), error) {
	path, err := c.MonitorPidFile()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("monitor pid file: %w", err)
	}
	if err := atomicfile.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("monitor pid file: %w", err)
	}
	return func() { os.Remove(path) }, nil
}

// removeCIDFile removes the container's --cidfile when it still names it.
func (c *Container) removeCIDFile() {
	if c.CIDFile == "" {
		return
	}
	if b, err := os.ReadFile(c.CIDFile); err == nil && strings.TrimSpace(string(b)) == c.ID {
		os.Remove(c.CIDFile)
	}
}

// StoppedByUser reports whether the container's end was asked for (rpod
// stop, kill, rm): a unit's main process, the monitor, then ends cleanly.
func (c *Container) StoppedByUser() bool { return c.stoppedByUser() }
