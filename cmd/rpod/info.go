package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	goruntime "runtime"
	"strconv"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/storage"
	"github.com/rpod/rpod/userns"
)

type idMap struct {
	ContainerID int `json:"container_id" yaml:"container_id"`
	HostID      int `json:"host_id" yaml:"host_id"`
	Size        int `json:"size" yaml:"size"`
}

// Info mirrors the fields of `podman info` that apply to rpod.
type Info struct {
	Host struct {
		Arch          string `json:"arch"`
		Hostname      string `json:"hostname"`
		Kernel        string `json:"kernel"`
		OS            string `json:"os"`
		CgroupVersion string `json:"cgroupVersion"`
		CgroupManager string `json:"cgroupManager"`
		CgroupLimits  string `json:"cgroupLimits"`
		// CgroupControllers are those delegated to the user: the limits rpod can set.
		CgroupControllers []string `json:"cgroupControllers"`
		IDMappings        struct {
			UIDMap []idMap `json:"uidmap"`
			GIDMap []idMap `json:"gidmap"`
		} `json:"idMappings"`
		// OCIRuntime is podman's field for the runtime that sets containers
		// up; for rpod, its own init step, and whether make embedded it.
		OCIRuntime struct {
			Name    string `json:"name"`
			Path    string `json:"path"`
			Version string `json:"version"`
		} `json:"ociRuntime"`
		PausePID int          `json:"pausePid"`
		Security hostSecurity `json:"security"`
	} `json:"host"`
	Store struct {
		ConfigFile      string            `json:"configFile"`
		GraphRoot       string            `json:"graphRoot"`
		RunRoot         string            `json:"runRoot"`
		GraphDriverName string            `json:"graphDriverName"`
		GraphOptions    map[string]string `json:"graphOptions"`
		ImageStore      struct {
			Number int `json:"number"`
		} `json:"imageStore"`
		ContainerStore struct {
			Number int `json:"number"`
		} `json:"containerStore"`
	} `json:"store"`
	Registries struct {
		Search []string `json:"search"`
	} `json:"registries"`
	Version struct {
		Version   string `json:"Version"`
		GoVersion string `json:"GoVersion"`
		OsArch    string `json:"OsArch"`
	} `json:"version"`
}

func newInfoCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info [flags]",
		Short: "Show how rpod sees this host: kernel, cgroups, id mappings, storage, registries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			var in Info
			h := &in.Host
			h.Arch, h.OS = goruntime.GOARCH, "linux"
			h.Hostname, _ = os.Hostname()
			var u unix.Utsname
			if unix.Uname(&u) == nil {
				h.Kernel = unix.ByteSliceToString(u.Release[:])
			}
			h.CgroupVersion, h.CgroupManager, h.CgroupLimits, h.CgroupControllers = cgroupInfo()
			h.IDMappings.UIDMap = readIDMap("/proc/self/uid_map")
			h.IDMappings.GIDMap = readIDMap("/proc/self/gid_map")
			h.OCIRuntime.Name = "rpod-init"
			if p, embedded := runtime.InitStep(); embedded {
				h.OCIRuntime.Path, h.OCIRuntime.Version = p, "appended to rpod "+Version+" by make build: a small static C program per container start"
			} else {
				h.OCIRuntime.Path, h.OCIRuntime.Version = p, "rpod "+Version+" re-executed (built without make build, so each container start loads all of rpod to run its init step)"
			}
			h.PausePID = userns.PausePID()
			h.Security = securityInfo()
			s := &in.Store
			s.ConfigFile = g.opts.ConfigFile
			s.GraphRoot, s.RunRoot = store.GraphRoot(), store.RunRoot()
			s.GraphDriverName = store.GraphDriverName()
			s.GraphOptions = map[string]string{}
			for _, o := range store.GraphOptions() {
				k, v, _ := strings.Cut(o, "=")
				s.GraphOptions[k] = v
			}
			if mp := storage.MountProgram(store); mp != "" {
				s.GraphOptions["overlay.mount_program"] = mp
			}
			imgs, _ := store.Images()
			s.ImageStore.Number = len(imgs)
			ctrs, _ := runtime.List(store)
			s.ContainerStore.Number = len(ctrs)
			in.Registries.Search, _ = sysregistriesv2.UnqualifiedSearchRegistries(image.SystemContext())
			in.Version.Version, in.Version.GoVersion, in.Version.OsArch = Version, goVersion(), "linux/"+goArch()
			return printFormatted(os.Stdout, format, in)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "json, or a Go template such as {{.Store.GraphDriverName}}")
	return cmd
}

func goVersion() string { return goruntime.Version() }
func goArch() string    { return goruntime.GOARCH }

// cgroupInfo says what rpod can do with this host's cgroups: limits need a
// cgroup v2 subtree delegated to the user (by systemd, or inherited).
func cgroupInfo() (version, manager, limits string, controllers []string) {
	h := cgroupdelegate.Detect()
	// podman says v1 or v2: a hybrid layout is v1 (its reason says hybrid).
	version = h.Version
	if version == "hybrid" {
		version = "v1"
	}
	controllers = h.Controllers
	if controllers == nil {
		controllers = []string{}
	}
	if h.Manager == cgroupdelegate.ManagerNone {
		return version, h.Manager, "unavailable: " + cmp.Or(h.Reason, "no delegated cgroup v2 subtree"), controllers
	}
	if len(controllers) == 0 {
		return version, h.Manager, "none: no controller is delegated to you", controllers
	}
	return version, h.Manager, "available: " + strings.Join(controllers, " "), controllers
}

func readIDMap(path string) []idMap {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []idMap
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		a, _ := strconv.Atoi(f[0])
		b, _ := strconv.Atoi(f[1])
		c, _ := strconv.Atoi(f[2])
		out = append(out, idMap{a, b, c})
	}
	return out
}

// printFormatted prints v as YAML (podman's default for info), JSON, or a Go template.
func printFormatted(w io.Writer, format string, v any) error {
	switch {
	case format == "":
		writeYAML(w, reflect.ValueOf(v), 0)
		return nil
	case format == "json" || format == "{{json .}}":
		b, err := json.MarshalIndent(v, "", "     ")
		if err != nil {
			return err
		}
		fmt.Fprintln(w, string(b))
		return nil
	}
	t, err := template.New("format").Funcs(template.FuncMap{"json": func(x any) string {
		b, _ := json.Marshal(x)
		return string(b)
	}}).Parse(format)
	if err != nil {
		return fmt.Errorf("invalid --format template: %w", err)
	}
	if err := t.Execute(w, v); err != nil {
		return fmt.Errorf("--format template: %w", err)
	}
	fmt.Fprintln(w)
	return nil
}

// writeYAML writes the plain structs, maps, slices and scalars rpod prints
// as block YAML, keyed by their json names.
func writeYAML(w io.Writer, v reflect.Value, indent int) {
	pad := strings.Repeat("  ", indent)
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			key := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
			writeYAMLEntry(w, pad, key, v.Field(i), indent)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sortValues(keys)
		for _, k := range keys {
			writeYAMLEntry(w, pad, k.String(), v.MapIndex(k), indent)
		}
	}
}

func writeYAMLEntry(w io.Writer, pad, key string, f reflect.Value, indent int) {
	switch f.Kind() {
	case reflect.Struct:
		fmt.Fprintf(w, "%s%s:\n", pad, key)
		writeYAML(w, f, indent+1)
	case reflect.Map:
		if f.Len() == 0 {
			fmt.Fprintf(w, "%s%s: {}\n", pad, key)
			return
		}
		fmt.Fprintf(w, "%s%s:\n", pad, key)
		writeYAML(w, f, indent+1)
	case reflect.Slice:
		if f.Len() == 0 {
			fmt.Fprintf(w, "%s%s: []\n", pad, key)
			return
		}
		fmt.Fprintf(w, "%s%s:\n", pad, key)
		for j := 0; j < f.Len(); j++ {
			e := f.Index(j)
			if e.Kind() == reflect.Struct {
				var b strings.Builder
				writeYAML(&b, e, 0)
				lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
				for k, l := range lines {
					lead := "  "
					if k == 0 {
						lead = "- "
					}
					fmt.Fprintf(w, "%s%s%s\n", pad, lead, l)
				}
				continue
			}
			fmt.Fprintf(w, "%s- %s\n", pad, yamlScalar(e))
		}
	default:
		fmt.Fprintf(w, "%s%s: %s\n", pad, key, yamlScalar(f))
	}
}

func yamlScalar(v reflect.Value) string {
	if v.Kind() == reflect.String {
		s := v.String()
		if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || strings.TrimSpace(s) != s {
			return strconv.Quote(s)
		}
		return s
	}
	return fmt.Sprint(v.Interface())
}

func sortValues(vs []reflect.Value) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && vs[j].String() < vs[j-1].String(); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}
