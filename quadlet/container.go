package quadlet

import (
	"fmt"
	"path/filepath"
	"strings"
)

type kind int

const (
	kStr     kind = iota // one value, the last one wins: --flag VALUE
	kList                // every entry: --flag VALUE
	kWords               // every word of every entry: --flag WORD
	kBool                // --flag when true
	kBoolEq              // --flag=true|false, as written
	kSecOpt              // every entry: --security-opt PREFIX+VALUE
	kSecBool             // --security-opt FLAG when true
)

// keySpec maps a [Container] key to an rpod run flag.
type keySpec struct {
	key  string
	kind kind
	flag string
}

// containerKeys are the keys that map to one rpod run flag, in the order
// their flags are written (file order does not change the command line).
var containerKeys = []keySpec{
	{"HostName", kStr, "--hostname"},
	{"UserNS", kStr, "--userns"},
	{"GroupAdd", kWords, "--group-add"},
	{"WorkingDir", kStr, "-w"},
	{"Entrypoint", kStr, "--entrypoint"},
	{"RunInit", kBool, "--init"},
	{"ReadOnly", kBool, "--read-only"},
	{"ReadOnlyTmpfs", kBoolEq, "--read-only-tmpfs"},
	{"NoNewPrivileges", kSecBool, "no-new-privileges"},
	{"SecurityLabelDisable", kSecBool, "label=disable"},
	{"SeccompProfile", kSecOpt, "seccomp="},
	{"Mask", kSecOpt, "mask="},
	{"Unmask", kSecOpt, "unmask="},
	{"DropCapability", kWords, "--cap-drop"},
	{"AddCapability", kWords, "--cap-add"},
	{"AddDevice", kList, "--device"},
	{"Sysctl", kWords, "--sysctl"},
	{"Ulimit", kList, "--ulimit"},
	{"ShmSize", kStr, "--shm-size"},
	{"Memory", kStr, "--memory"},
	{"PidsLimit", kStr, "--pids-limit"},
	{"StopSignal", kStr, "--stop-signal"},
	{"StopTimeout", kStr, "--stop-timeout"},
	{"PublishPort", kList, "-p"},
	{"DNS", kList, "--dns"},
	{"DNSSearch", kList, "--dns-search"},
	{"DNSOption", kList, "--dns-option"},
	{"AddHost", kList, "--add-host"},
	{"Tmpfs", kList, "--tmpfs"},
	{"EnvironmentFile", kList, "--env-file"},
	{"Label", kWords, "--label"},
	{"Annotation", kWords, "--annotation"},
	{"LogDriver", kStr, "--log-driver"},
	{"LogOpt", kList, "--log-opt"},
	{"Pull", kStr, "--pull"},
	{"HealthCmd", kStr, "--health-cmd"},
	{"HealthInterval", kStr, "--health-interval"},
	{"HealthRetries", kStr, "--health-retries"},
	{"HealthStartPeriod", kStr, "--health-start-period"},
	{"HealthTimeout", kStr, "--health-timeout"},
	{"HealthOnFailure", kStr, "--health-on-failure"},
}

// containerSpecial are the keys handled by hand in container().
var containerSpecial = map[string]bool{
	"Image": true, "Exec": true, "ContainerName": true, "User": true, "Group": true, "Network": true,
	"Volume": true, "Mount": true, "Environment": true, "Notify": true, "CgroupsMode": true,
	"PodmanArgs": true, "RpodArgs": true, "GlobalArgs": true,
}

// notYet are podman's [Container] keys whose rpod run flag does not exist
// (yet): the generator refuses them rather than drop a setting silently.
var notYet = map[string]string{
	"EnvironmentHost": "rpod run has no --env-host", "ExposeHostPort": "rpod run has no --expose",
	"IP": "rpod has no networks with fixed addresses", "IP6": "rpod has no networks with fixed addresses",
	"Pod": "rpod has no pods", "StartWithPod": "rpod has no pods", "Secret": "rpod has no secrets",
	"Timezone":         "rpod run has no --tz",
	"HealthStartupCmd": "rpod has no startup health checks", "HealthStartupInterval": "rpod has no startup health checks",
	"HealthStartupRetries": "rpod has no startup health checks", "HealthStartupSuccess": "rpod has no startup health checks",
	"HealthStartupTimeout": "rpod has no startup health checks", "HealthLogDestination": "rpod run has no --health-log-destination",
	"HealthMaxLogCount": "rpod run has no --health-max-log-count", "HealthMaxLogSize": "rpod run has no --health-max-log-size",
	"AutoUpdate": "rpod has no auto-update", "Rootfs": "rpod run has no --rootfs",
	"SecurityLabelType": "rpod applies no SELinux labels", "SecurityLabelLevel": "rpod applies no SELinux labels",
	"SecurityLabelFileType": "rpod applies no SELinux labels", "SecurityLabelNested": "rpod applies no SELinux labels",
	"UIDMap": "rpod run has no --uidmap", "GIDMap": "rpod run has no --gidmap",
	"SubUIDMap": "rpod run has no --subuidname", "SubGIDMap": "rpod run has no --subgidname",
	"ContainersConfModule": "rpod reads no containers.conf modules", "ServiceName": "not supported yet",
	"ReloadCmd": "not supported yet", "ReloadSignal": "not supported yet", "Retry": "rpod run has no --retry",
	"RetryDelay": "rpod run has no --retry-delay", "Personality": "rpod run has no --personality",
	"HttpProxy": "rpod run has no --http-proxy",
}

func (g *gen) container(f *UnitFile) (*Unit, error) {
	if err := checkSections(f, "Container"); err != nil {
		return nil, err
	}
	es := entries(f, "Container")
	byKey := map[string][]Entry{}
	known := map[string]kind{}
	for _, k := range containerKeys {
		known[k.key] = k.kind
	}
	for _, e := range es {
		k, ok := known[e.Key]
		if !ok && !containerSpecial[e.Key] {
			return nil, unsupported(f, e, "Container", notYet[e.Key])
		}
		if ok && (k == kBool || k == kBoolEq || k == kSecBool) {
			if _, err := parseBool(f, e); err != nil {
				return nil, err
			}
		}
		byKey[e.Key] = append(byKey[e.Key], e)
	}
	last := func(k string) (Entry, bool) {
		v := byKey[k]
		if len(v) == 0 {
			return Entry{}, false
		}
		return v[len(v)-1], true
	}
	b := &unitBuilder{src: f, name: ServiceName(f.Path), main: "Container"}
	if defaultDependencies(f) {
		b.addUnit("Wants", WaitOnlineUnit)
		b.addUnit("After", WaitOnlineUnit)
	}

	img, ok := last("Image")
	if !ok || img.Value == "" {
		return nil, &Error{File: f.Path, Msg: "no Image= in [Container]: name the image to run"}
	}
	image := img.Value
	if strings.HasSuffix(image, ".image") {
		ref, err := g.imageRef(f, img)
		if err != nil {
			return nil, err
		}
		image = ref
		b.depend(ServiceName(img.Value))
	}

	name := "systemd-%N"
	if e, ok := last("ContainerName"); ok {
		name = e.Value
	}
	cgroups := "split"
	if e, ok := last("CgroupsMode"); ok {
		cgroups = e.Value
	}
	notify := "conmon"
	if e, ok := last("Notify"); ok {
		if strings.EqualFold(e.Value, "healthy") {
			notify = "healthy"
		} else if v, err := parseBool(f, e); err != nil {
			return nil, &Error{f.Path, e.Line, fmt.Sprintf("invalid Notify=%q: use true, false or healthy", e.Value)}
		} else if v {
			notify = "container"
		}
	}

	rpod, err := g.globalArgs(f, "Container")
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, rpod...), "run", "--name", name, "--cidfile=%t/%N.cid", "--replace", "--rm",
		"--cgroups="+cgroups, "--sdnotify="+notify, "-d")

	// User= and Group= are one --user.
	if u, ok := last("User"); ok {
		user := u.Value
		if gr, ok := last("Group"); ok {
			user += ":" + gr.Value
		}
		args = append(args, "--user", user)
	} else if gr, ok := last("Group"); ok {
		return nil, &Error{f.Path, gr.Line, "Group= needs User= as well (rpod run --user USER:GROUP)"}
	}

	for _, k := range containerKeys {
		vs := byKey[k.key]
		if len(vs) == 0 {
			continue
		}
		switch k.kind {
		case kStr:
			args = append(args, k.flag, vs[len(vs)-1].Value)
		case kList:
			for _, e := range vs {
				args = append(args, k.flag, e.Value)
			}
		case kSecOpt:
			for _, e := range vs {
				args = append(args, "--security-opt", k.flag+e.Value)
			}
		case kWords:
			for _, e := range vs {
				ws, err := words(f, e)
				if err != nil {
					return nil, err
				}
				for _, w := range ws {
					args = append(args, k.flag, w)
				}
			}
		case kBool, kBoolEq, kSecBool:
			v, _ := parseBool(f, vs[len(vs)-1])
			switch {
			case k.kind == kBoolEq:
				args = append(args, fmt.Sprintf("%s=%t", k.flag, v))
			case v && k.kind == kBool:
				args = append(args, k.flag)
			case v:
				args = append(args, "--security-opt", k.flag)
			}
		}
	}

	if e, ok := last("Network"); ok {
		if len(byKey["Network"]) > 1 {
			return nil, &Error{f.Path, e.Line, "more than one Network=: an rpod container has one network mode"}
		}
		mode, err := g.networkMode(f, e)
		if err != nil {
			return nil, err
		}
		args = append(args, "--network", mode)
	}
	for _, e := range byKey["Volume"] {
		v, err := g.volumeArg(f, e, b)
		if err != nil {
			return nil, err
		}
		args = append(args, "-v", v)
	}
	for _, e := range byKey["Mount"] {
		v, err := g.mountArg(f, e, b)
		if err != nil {
			return nil, err
		}
		args = append(args, "--mount", v)
	}
	for _, e := range byKey["Environment"] {
		ws, err := words(f, e)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			if !strings.Contains(w, "=") {
				return nil, &Error{f.Path, e.Line, fmt.Sprintf("invalid Environment= word %q: use KEY=VALUE", w)}
			}
			args = append(args, "--env", w)
		}
	}
	for _, k := range []string{"PodmanArgs", "RpodArgs"} {
		for _, e := range byKey[k] {
			ws, err := words(f, e)
			if err != nil {
				return nil, err
			}
			args = append(args, ws...)
		}
	}
	args = append(args, image)
	if e, ok := last("Exec"); ok {
		ws, err := words(f, e)
		if err != nil {
			return nil, err
		}
		args = append(args, ws...)
	}

	// rm -f without -t kills at once: give the container its stop timeout.
	stopTime := "10"
	if e, ok := last("StopTimeout"); ok {
		stopTime = e.Value
	}
	stop := append(append([]string{}, rpod...), "rm", "-v", "-f", "-i", "-t", stopTime, "--cidfile=%t/%N.cid")
	b.addService("Environment", "RPOD_SYSTEMD_UNIT=%n")
	b.addDefault("KillMode", "mixed")
	b.addService("ExecStop", JoinWords(stop))
	b.addService("ExecStopPost", "-"+JoinWords(stop))
	b.addDefault("Delegate", "yes")
	b.addDefault("Type", "notify")
	b.addDefault("NotifyAccess", "all")
	b.addDefault("SyslogIdentifier", "%N")
	b.addService("ExecStart", JoinWords(args))
	return b.render()
}

// imageRef is the image a .image file pulls: its ImageTag=, else its Image=.
func (g *gen) imageRef(f *UnitFile, e Entry) (string, error) {
	other, ok := g.byName[e.Value]
	if !ok {
		return "", &Error{f.Path, e.Line, fmt.Sprintf("%s=%s: no such Quadlet file in the search path", e.Key, e.Value)}
	}
	var image, tag string
	for _, ie := range entries(other, "Image") {
		switch ie.Key {
		case "Image":
			image = ie.Value
		case "ImageTag":
			tag = ie.Value
		}
	}
	if tag != "" {
		return tag, nil
	}
	if image == "" {
		return "", &Error{f.Path, e.Line, fmt.Sprintf("%s=%s: that file names no Image=", e.Key, e.Value)}
	}
	return image, nil
}

// volumeName is the volume a .volume file creates: VolumeName=, else systemd-STEM.
func (g *gen) volumeName(f *UnitFile, line int, file string) (string, error) {
	other, ok := g.byName[file]
	if !ok {
		return "", &Error{f.Path, line, fmt.Sprintf("volume %s: no such Quadlet file in the search path", file)}
	}
	name := "systemd-" + strings.TrimSuffix(file, ".volume")
	for _, e := range entries(other, "Volume") {
		if e.Key == "VolumeName" && e.Value != "" {
			name = e.Value
		}
	}
	return name, nil
}

// volumeArg resolves Volume=SRC:DST[:OPTS]: a .volume source is that file's
// volume (and its unit a dependency), a ./relative path is taken from the
// Quadlet file's directory.
func (g *gen) volumeArg(f *UnitFile, e Entry, b *unitBuilder) (string, error) {
	parts := strings.SplitN(e.Value, ":", 2)
	src := parts[0]
	if len(parts) == 1 {
		// An anonymous volume, or a .volume with no destination.
		if strings.HasSuffix(src, ".volume") {
			return "", &Error{f.Path, e.Line, fmt.Sprintf("Volume=%s: name the destination, SOURCE:DEST", e.Value)}
		}
		return e.Value, nil
	}
	switch {
	case strings.HasSuffix(src, ".volume"):
		name, err := g.volumeName(f, e.Line, src)
		if err != nil {
			return "", err
		}
		b.depend(ServiceName(src))
		src = name
	case strings.HasPrefix(src, "."):
		src = filepath.Join(filepath.Dir(f.Path), src)
	}
	return src + ":" + parts[1], nil
}

// mountArg resolves source=X.volume in a Mount= as volumeArg does.
func (g *gen) mountArg(f *UnitFile, e Entry, b *unitBuilder) (string, error) {
	fields := strings.Split(e.Value, ",")
	for i, fl := range fields {
		k, v, ok := strings.Cut(fl, "=")
		if !ok || (k != "source" && k != "src") {
			continue
		}
		switch {
		case strings.HasSuffix(v, ".volume"):
			name, err := g.volumeName(f, e.Line, v)
			if err != nil {
				return "", err
			}
			b.depend(ServiceName(v))
			fields[i] = k + "=" + name
		case strings.HasPrefix(v, "."):
			fields[i] = k + "=" + filepath.Join(filepath.Dir(f.Path), v)
		}
	}
	return strings.Join(fields, ","), nil
}
