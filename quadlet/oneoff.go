package quadlet

import (
	"fmt"
	"strings"
)

// ServiceOptions are `rpod generate systemd`'s flags, as podman's.
type ServiceOptions struct {
	Rpod          string   // path of rpod in the Exec lines
	ServiceName   string   // container-NAME, without .service
	Container     string   // the name or id the Exec lines use
	New           bool     // the unit creates the container with RunArgs
	RunArgs       []string // rpod run's flags, image and command, without run's own --name... (New)
	Name          string   // the container's name, for --new's --name
	RestartPolicy string   // Restart=
	RestartSec    uint     // RestartSec= when not 0
	StopTimeout   uint     // rpod stop -t; TimeoutStopSec= is 60 more
	StartTimeout  uint     // TimeoutStartSec= when not 0
	Header        string   // comment lines on top, "" for none
	Wants, After  []string // more [Unit] dependencies
	Requires      []string
	Env           []string // Environment= lines
	PIDFile       string   // the monitor's pid file, PIDFile= (not New)
}

// RestartPolicies are the values of systemd's Restart=.
var RestartPolicies = []string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"}

// ServiceUnit writes the unit of `rpod generate systemd` in podman's layout.
func ServiceUnit(o ServiceOptions) string {
	var b strings.Builder
	b.WriteString(o.Header)
	fmt.Fprintf(&b, "\n[Unit]\nDescription=rpod %s.service\nDocumentation=man:podman-generate-systemd(1)\n", o.ServiceName)
	fmt.Fprintf(&b, "Wants=%s\nAfter=%s\nRequiresMountsFor=%%t/rpod\n", WaitOnlineUnit, WaitOnlineUnit)
	for _, w := range o.Wants {
		fmt.Fprintf(&b, "Wants=%s\n", w)
	}
	for _, a := range o.After {
		fmt.Fprintf(&b, "After=%s\n", a)
	}
	for _, r := range o.Requires {
		fmt.Fprintf(&b, "Requires=%s\n", r)
	}
	b.WriteString("\n[Service]\nEnvironment=RPOD_SYSTEMD_UNIT=%n\n")
	for _, e := range o.Env {
		fmt.Fprintf(&b, "Environment=%s\n", QuoteWord(e))
	}
	fmt.Fprintf(&b, "Restart=%s\n", o.RestartPolicy)
	if o.RestartSec > 0 {
		fmt.Fprintf(&b, "RestartSec=%d\n", o.RestartSec)
	}
	if o.StartTimeout > 0 {
		fmt.Fprintf(&b, "TimeoutStartSec=%d\n", o.StartTimeout)
	}
	fmt.Fprintf(&b, "TimeoutStopSec=%d\n", o.StopTimeout+60)
	t := fmt.Sprint(o.StopTimeout)
	if o.New {
		run := append([]string{o.Rpod, "run", "--cidfile=%t/%n.ctr-id", "--cgroups=no-conmon", "--rm",
			"--sdnotify=conmon", "--replace", "-d", "--name", o.Name}, o.RunArgs...)
		fmt.Fprintf(&b, "ExecStart=%s\n", continued(run))
		fmt.Fprintf(&b, "ExecStop=%s\n", continued([]string{o.Rpod, "stop", "--ignore", "-t", t, "--cidfile=%t/%n.ctr-id"}))
		fmt.Fprintf(&b, "ExecStopPost=%s\n", continued([]string{o.Rpod, "rm", "-f", "--ignore", "-t", t, "--cidfile=%t/%n.ctr-id"}))
		b.WriteString("Type=notify\nNotifyAccess=all\n")
	} else {
		fmt.Fprintf(&b, "ExecStart=%s\n", JoinWords([]string{o.Rpod, "start", o.Container}))
		fmt.Fprintf(&b, "ExecStop=%s\n", continued([]string{o.Rpod, "stop", "-t", t, o.Container}))
		fmt.Fprintf(&b, "ExecStopPost=%s\n", continued([]string{o.Rpod, "stop", "-t", t, o.Container}))
		if o.PIDFile != "" {
			fmt.Fprintf(&b, "PIDFile=%s\n", o.PIDFile)
		}
		b.WriteString("Type=forking\n")
	}
	b.WriteString("\n[Install]\nWantedBy=default.target\n")
	return b.String()
}

// continued writes an Exec line as podman does: a new line, continued by
// a backslash, before each flag, so that a flag and its value stay together.
func continued(argv []string) string {
	var b strings.Builder
	for i, w := range argv {
		switch {
		case i == 0:
		case i >= 2 && strings.HasPrefix(w, "-"):
			b.WriteString(" \\\n\t")
		default:
			b.WriteByte(' ')
		}
		b.WriteString(QuoteWord(w))
	}
	return b.String()
}
