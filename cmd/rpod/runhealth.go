package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/runtime"
)

// healthFlags are run and create's health check flags, as podman's.
type healthFlags struct {
	healthCmd         string
	healthInterval    string
	healthRetries     uint
	healthStartPeriod string
	healthTimeout     string
	healthOnFailure   string
	noHealthcheck     bool
}

func (f *healthFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.healthCmd, "health-cmd", "", `health check command: a shell command, a JSON array (["CMD", ...] or ["CMD-SHELL", "..."]), or none to disable the image's`)
	fl.StringVar(&f.healthInterval, "health-interval", "30s", `time between health checks ("disable": only rpod healthcheck run)`)
	fl.UintVar(&f.healthRetries, "health-retries", 3, "failures in a row before the container is unhealthy")
	fl.StringVar(&f.healthStartPeriod, "health-start-period", "0s", "time for the container to start before failures count")
	fl.StringVar(&f.healthTimeout, "health-timeout", "30s", "time a health check may take before it fails")
	fl.StringVar(&f.healthOnFailure, "health-on-failure", "none", "action once unhealthy: none, kill, restart or stop")
	fl.BoolVar(&f.noHealthcheck, "no-healthcheck", false, "disable any health check, the image's too")
}

// applyHealth records the health check in the container's config.
func (f *healthFlags) applyHealth(cfg *runtime.Config) error {
	hc, err := parseHealthFlags(*f)
	if err != nil {
		return err
	}
	cfg.Healthcheck = hc
	return nil
}

// parseHealthFlags turns the flags into a health check, nil when there is
// none (no --health-cmd, or none / --no-healthcheck).
func parseHealthFlags(f healthFlags) (*runtime.HealthConfig, error) {
	if f.noHealthcheck && f.healthCmd != "" && !strings.EqualFold(strings.TrimSpace(f.healthCmd), "none") {
		return nil, errors.New("cannot specify both --no-healthcheck and --health-cmd: drop one")
	}
	interval, err := parseHealthInterval(f.healthInterval)
	if err != nil {
		return nil, err
	}
	timeout, err := parseHealthDuration("--health-timeout", f.healthTimeout, time.Second)
	if err != nil {
		return nil, err
	}
	start, err := parseHealthDuration("--health-start-period", f.healthStartPeriod, 0)
	if err != nil {
		return nil, err
	}
	if f.healthRetries < 1 {
		return nil, errors.New("invalid --health-retries 0: it must be greater than 0")
	}
	action, err := parseHealthOnFailure(f.healthOnFailure)
	if err != nil {
		return nil, err
	}
	if f.noHealthcheck || f.healthCmd == "" {
		return nil, nil
	}
	test, err := parseHealthCmd(f.healthCmd)
	if err != nil || test == nil {
		return nil, err
	}
	return &runtime.HealthConfig{Test: test, Interval: interval, Timeout: timeout, StartPeriod: start,
		Retries: int(f.healthRetries), OnFailure: action}, nil
}

// parseHealthCmd reads --health-cmd as podman does: a JSON array is
// ["CMD", arg...], ["CMD-SHELL", command] or a bare argv (run as CMD);
// anything else is a shell command; none (either way) means no check (nil).
func parseHealthCmd(s string) ([]string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, errors.New("invalid --health-cmd: it is empty: give a command, or none")
	}
	if strings.EqualFold(t, "none") {
		return nil, nil
	}
	if !strings.HasPrefix(t, "[") {
		return []string{"CMD-SHELL", s}, nil
	}
	var arr []string
	if err := json.Unmarshal([]byte(t), &arr); err != nil {
		return nil, fmt.Errorf("invalid --health-cmd %q: not a JSON array of strings: %v", s, err)
	}
	if len(arr) == 0 {
		return nil, fmt.Errorf("invalid --health-cmd %q: the array is empty", s)
	}
	switch strings.ToUpper(arr[0]) {
	case "NONE":
		return nil, nil
	case "CMD", "CMD-SHELL":
		kind := strings.ToUpper(arr[0])
		if len(arr) < 2 || strings.TrimSpace(strings.Join(arr[1:], "")) == "" {
			return nil, fmt.Errorf("invalid --health-cmd %q: %s needs a command after it", s, kind)
		}
		if kind == "CMD-SHELL" {
			return []string{kind, strings.Join(arr[1:], " ")}, nil
		}
		return append([]string{kind}, arr[1:]...), nil
	}
	return append([]string{"CMD"}, arr...), nil
}

// parseHealthInterval reads --health-interval: a duration of 1s or more,
// or disable (0: no timer).
func parseHealthInterval(s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "disable" {
		return 0, nil
	}
	d, err := parseHealthDuration("--health-interval", s, time.Second)
	if err != nil {
		return 0, fmt.Errorf("%w (or disable)", err)
	}
	return d, nil
}

// parseHealthDuration reads a Go duration (30s, 1m30s; a bare 0 too) of at least least.
func parseHealthDuration(flag, s string, least time.Duration) (time.Duration, error) {
	t := strings.TrimSpace(s)
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("invalid %s %q: want a duration such as 30s or 1m30s", flag, s)
	}
	if d < least {
		if least == 0 {
			return 0, fmt.Errorf("invalid %s %q: it must be 0 seconds or more", flag, s)
		}
		return 0, fmt.Errorf("invalid %s %q: it must be at least %s", flag, s, least)
	}
	return d, nil
}

// parseHealthOnFailure reads --health-on-failure.
func parseHealthOnFailure(s string) (string, error) {
	switch s {
	case "", "none":
		return "", nil
	case "kill", "restart", "stop":
		return s, nil
	}
	return "", fmt.Errorf("invalid on-failure action %q for health check: supported actions are none, kill, restart and stop", s)
}

// applyImageHealth gives the container the image's HEALTHCHECK when the
// flags name no check and do not disable it; --health-* flags given with
// other than their defaults override the image's values, as podman's.
func (f *healthFlags) applyImageHealth(ic image.Config, cfg *runtime.Config) error {
	if cfg.Healthcheck != nil || f.noHealthcheck || strings.TrimSpace(f.healthCmd) != "" {
		return nil
	}
	hc, err := parseImageHealthcheck(ic.Blob)
	if err != nil || hc == nil {
		return nil // the config was just read: an image without one
	}
	return f.overrideHealth(hc, cfg)
}

// overrideHealth applies the flags that differ from their defaults to the image's check.
func (f *healthFlags) overrideHealth(hc *runtime.HealthConfig, cfg *runtime.Config) error {
	var err error
	def := healthFlags{healthInterval: "30s", healthRetries: 3, healthStartPeriod: "0s", healthTimeout: "30s"}
	if f.healthInterval != def.healthInterval {
		if hc.Interval, err = parseHealthInterval(f.healthInterval); err != nil {
			return err
		}
	}
	if f.healthTimeout != def.healthTimeout {
		if hc.Timeout, err = parseHealthDuration("--health-timeout", f.healthTimeout, time.Second); err != nil {
			return err
		}
	}
	if f.healthStartPeriod != def.healthStartPeriod {
		if hc.StartPeriod, err = parseHealthDuration("--health-start-period", f.healthStartPeriod, 0); err != nil {
			return err
		}
	}
	if f.healthRetries != def.healthRetries {
		hc.Retries = int(f.healthRetries)
	}
	if hc.OnFailure, err = parseHealthOnFailure(f.healthOnFailure); err != nil {
		return err
	}
	cfg.Healthcheck = hc
	return nil
}

// parseImageHealthcheck reads config.Healthcheck of an image config blob
// (durations in nanoseconds), with Docker's defaults for what is unset.
func parseImageHealthcheck(blob []byte) (*runtime.HealthConfig, error) {
	var c struct {
		Config struct {
			Healthcheck *struct {
				Test                           []string
				Interval, Timeout, StartPeriod time.Duration
				Retries                        int
			}
		} `json:"config"`
	}
	if err := json.Unmarshal(blob, &c); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	h := c.Config.Healthcheck
	if h == nil || len(h.Test) == 0 || strings.EqualFold(h.Test[0], "NONE") {
		return nil, nil
	}
	test := h.Test
	if k := strings.ToUpper(test[0]); k != "CMD" && k != "CMD-SHELL" {
		test = append([]string{"CMD"}, test...)
	} else {
		test = append([]string{k}, test[1:]...)
	}
	if len(test) < 2 {
		return nil, nil
	}
	hc := &runtime.HealthConfig{Test: test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: max(h.StartPeriod, 0), Retries: h.Retries}
	if hc.Interval <= 0 {
		hc.Interval = 30 * time.Second
	}
	if hc.Timeout <= 0 {
		hc.Timeout = 30 * time.Second
	}
	if hc.Retries <= 0 {
		hc.Retries = 3
	}
	return hc, nil
}
