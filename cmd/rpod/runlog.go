package main

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/userns"
)

// logFlags are run and create's --log-driver and --log-opt flags.
type logFlags struct {
	logDriver string
	logOpts   []string
}

func (f *logFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.logDriver, "log-driver", "", "where the container's output goes: k8s-file (alias json-file), journald or none (default: journald inside a systemd unit, else k8s-file)")
	stringArrayVar(fl, &f.logOpts, "log-opt", "", "logging option: max-size=SIZE (rotate past SIZE, e.g. 10mb; -1: no limit), path=FILE, tag=TAG (journald's CONTAINER_TAG)")
}

// applyLog records the log options in the container's config.
func (f *runFlags) applyLog(cfg *runtime.Config) error {
	lc, err := parseLogFlags(f.logDriver, f.logOpts)
	if err != nil {
		return err
	}
	for _, w := range lc.warnings {
		userns.Warnf("%s", w)
	}
	cfg.LogMaxSize, cfg.LogFile = lc.maxSize, lc.path
	if lc.driver == "none" || lc.driver == "journald" {
		cfg.LogDriver = lc.driver
		cfg.LogTag = lc.tag
	}
	return nil
}

// logConfig is what --log-driver and --log-opt ask for.
type logConfig struct {
	driver   string // k8s-file or none
	maxSize  int64  // 0: no limit
	path     string // "": ctr.log in the container's directory
	tag      string // --log-opt tag=: journald's CONTAINER_TAG
	warnings []string
}

// journalAvailable and defaultLogDriver look at the host; tests replace them.
var (
	journalAvailable = runtime.JournalAvailable
	defaultLogDriver = runtime.DefaultLogDriver
)

// parseLogFlags checks --log-driver and the --log-opt KEY=VALUE list as podman does.
func parseLogFlags(driver string, opts []string) (logConfig, error) {
	lc := logConfig{driver: driver}
	switch driver {
	case "":
		lc.driver = defaultLogDriver()
	case "k8s-file", "json-file":
		lc.driver = "k8s-file"
	case "none":
	case "journald":
		if err := journalAvailable(); err != nil {
			return lc, fmt.Errorf("--log-driver journald: no journald driver here: %v: use --log-driver k8s-file (the default outside systemd) or none", err)
		}
	case "passthrough":
		return lc, errors.New("--log-driver passthrough is not supported by rpod: use --log-driver k8s-file (the default) or none, or run the container in the foreground")
	default:
		return lc, fmt.Errorf("invalid log driver %q: rpod supports k8s-file (alias json-file), journald and none", driver)
	}
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return lc, fmt.Errorf("invalid log option %q: use KEY=VALUE, e.g. max-size=10mb", o)
		}
		switch strings.ToLower(k) {
		case "max-size":
			n, err := parseLogSize(v)
			if err != nil {
				return lc, err
			}
			lc.maxSize = max(n, 0)
		case "path":
			if !filepath.IsAbs(v) {
				return lc, fmt.Errorf("invalid --log-opt %s: the path must be absolute", o)
			}
			if fi, err := os.Stat(filepath.Dir(v)); err != nil || !fi.IsDir() {
				return lc, fmt.Errorf("invalid --log-opt %s: the directory %s does not exist", o, filepath.Dir(v))
			}
			lc.path = filepath.Clean(v)
		case "tag":
			// podman takes it for every driver; only journald uses it.
			lc.tag = v
		default:
			if v == "" {
				return lc, fmt.Errorf("invalid log option %q: the value is empty", o)
			}
			lc.warnings = append(lc.warnings, fmt.Sprintf("--log-opt %s ignored: rpod's logs take max-size, path and tag", o))
		}
	}
	return lc, nil
}

// logSizeUnits are the suffixes of --log-opt max-size. Like podman's (Docker's
// go-units FromHumanSize) they are decimal; the -iB forms are binary.
var logSizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

// parseLogSize reads a --log-opt max-size value: a number, possibly with a
// fraction, and a unit (10mb, 1.5k, 8192); -1 means no limit.
func parseLogSize(s string) (int64, error) {
	bad := func() (int64, error) {
		return 0, fmt.Errorf("invalid --log-opt max-size %q: want a size such as 10mb (units b, k, kb, m, mb, g, gb) or -1 for no limit", s)
	}
	t := strings.TrimSpace(s)
	if t == "-1" {
		return -1, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := logSizeUnits[unit]
	if !ok || num == "" || num[0] == '.' || strings.Count(num, ".") > 1 {
		return bad()
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return bad()
	}
	v *= mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid --log-opt max-size %q: too large", s)
	}
	return int64(v), nil
}

// inspectLogConfig is podman's HostConfig.LogConfig.
type inspectLogConfig struct {
	Type string `json:"Type"`
	Path string `json:"Path"`
	Tag  string `json:"Tag"`
	Size string `json:"Size"`
}

// logConfigOf is the container's log driver and options, for inspect.
func logConfigOf(c *runtime.Container) inspectLogConfig {
	lc := inspectLogConfig{Type: cmp.Or(c.LogDriver, "k8s-file"), Tag: c.LogTag, Size: "0B"}
	lc.Path, _ = c.LogPath()
	if lc.Type == "none" {
		lc.Path = ""
	}
	if c.LogMaxSize > 0 {
		lc.Size = strconv.FormatInt(c.LogMaxSize, 10) + "B"
	}
	return lc
}
