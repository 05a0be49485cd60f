package quadlet

import (
	"fmt"
	"path/filepath"
	"strings"
)

// globalArgs is rpod and the GlobalArgs= of section.
func (g *gen) globalArgs(f *UnitFile, section string) ([]string, error) {
	argv := []string{g.opts.Rpod}
	for _, e := range entries(f, section) {
		if e.Key != "GlobalArgs" {
			continue
		}
		w, err := words(f, e)
		if err != nil {
			return nil, err
		}
		argv = append(argv, w...)
	}
	return argv, nil
}

// oneshot finishes a unit whose ExecStart creates something once.
func (b *unitBuilder) oneshot(argv []string) (*Unit, error) {
	b.addDefault("Type", "oneshot")
	b.addDefault("RemainAfterExit", "yes")
	b.addDefault("SyslogIdentifier", "%N")
	b.addService("ExecStart", JoinWords(argv))
	return b.render()
}

// volume turns a .volume file into a oneshot unit running rpod volume create.
func (g *gen) volume(f *UnitFile) (*Unit, error) {
	if err := checkSections(f, "Volume"); err != nil {
		return nil, err
	}
	argv, err := g.globalArgs(f, "Volume")
	if err != nil {
		return nil, err
	}
	argv = append(argv, "volume", "create", "--ignore")
	name := "systemd-" + strings.TrimSuffix(filepath.Base(f.Path), ".volume")
	var extra []string
	for _, e := range entries(f, "Volume") {
		switch e.Key {
		case "VolumeName":
			name = e.Value
		case "Driver":
			argv = append(argv, "--driver", e.Value)
		case "Label":
			ws, err := words(f, e)
			if err != nil {
				return nil, err
			}
			for _, w := range ws {
				argv = append(argv, "--label", w)
			}
		case "PodmanArgs", "RpodArgs":
			ws, err := words(f, e)
			if err != nil {
				return nil, err
			}
			extra = append(extra, ws...)
		case "GlobalArgs":
		case "Options", "Device", "Type", "Copy", "User", "Group", "Image":
			return nil, unsupported(f, e, "Volume", "rpod's local volume driver takes no options yet")
		default:
			return nil, unsupported(f, e, "Volume", "")
		}
	}
	if name == "" {
		return nil, &Error{File: f.Path, Msg: "empty VolumeName="}
	}
	argv = append(append(argv, extra...), name)
	b := &unitBuilder{src: f, name: ServiceName(f.Path), main: "Volume"}
	return b.oneshot(argv)
}

// image turns a .image file into a oneshot unit running rpod pull.
func (g *gen) image(f *UnitFile) (*Unit, error) {
	if err := checkSections(f, "Image"); err != nil {
		return nil, err
	}
	argv, err := g.globalArgs(f, "Image")
	if err != nil {
		return nil, err
	}
	argv = append(argv, "pull")
	flags := map[string]string{"Arch": "--arch", "OS": "--os", "Variant": "--variant", "AuthFile": "--authfile",
		"Creds": "--creds", "Retry": "--retry", "RetryDelay": "--retry-delay"}
	image := ""
	var extra []string
	for _, e := range entries(f, "Image") {
		if fl, ok := flags[e.Key]; ok {
			argv = append(argv, fl, e.Value)
			continue
		}
		switch e.Key {
		case "Image":
			image = e.Value
		case "ImageTag", "GlobalArgs":
		case "TLSVerify":
			v, err := parseBool(f, e)
			if err != nil {
				return nil, err
			}
			argv = append(argv, fmt.Sprintf("--tls-verify=%t", v))
		case "PodmanArgs", "RpodArgs":
			ws, err := words(f, e)
			if err != nil {
				return nil, err
			}
			extra = append(extra, ws...)
		case "AllTags":
			return nil, unsupported(f, e, "Image", "rpod pull has no --all-tags")
		case "CertDir":
			return nil, unsupported(f, e, "Image", "rpod pull has no --cert-dir")
		case "DecryptionKey":
			return nil, unsupported(f, e, "Image", "rpod pull has no --decryption-key")
		default:
			return nil, unsupported(f, e, "Image", "")
		}
	}
	if image == "" {
		return nil, &Error{File: f.Path, Msg: "no Image= in [Image]: name the image to pull"}
	}
	argv = append(append(argv, extra...), image)
	b := &unitBuilder{src: f, name: ServiceName(f.Path), main: "Image"}
	if defaultDependencies(f) {
		b.addUnit("Wants", WaitOnlineUnit)
		b.addUnit("After", WaitOnlineUnit)
	}
	return b.oneshot(argv)
}
