package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newHealthcheckCmd)
	runtime.HealthRunArgs = healthRunArgs
}

// healthRunArgs is the command line, after rpod, of the checks run by a
// container's systemd timer: the store flags this rpod (the container's
// monitor) was given, as spawnMonitor passes them on.
func healthRunArgs(id string) []string {
	return append(storeArgs(), "healthcheck", "run", id)
}

// stopStaleHealthTimer stops the systemd timer that ran this check when
// its container is gone or no longer runs: its monitor died, or the
// container was removed, before stopping it. Checks run by hand, and a
// paused container's, leave it be. The timer names the container by its
// full id (HealthRunArgs), which it also sets in HealthTimerEnv.
func stopStaleHealthTimer(name string, c *runtime.Container) {
	id := os.Getenv(runtime.HealthTimerEnv)
	if id == "" || name != id {
		return
	}
	if c != nil && c.State().Status == "running" {
		return
	}
	runtime.StopHealthTimer(id)
}

// newHealthcheckCmd is podman's healthcheck group: run.
func newHealthcheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Manage container health checks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fmt.Errorf("missing command: rpod healthcheck run CONTAINER")
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "run CONTAINER",
		Short: "Run a container's health check once",
		Long:  "Run the container's health check once and record the result. Exit status 0: healthy; 1: unhealthy, or failing in its start period (printed).",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openContainer(args[0])
			if err != nil {
				if errors.Is(err, cstorage.ErrContainerUnknown) {
					stopStaleHealthTimer(args[0], nil)
				}
				return err
			}
			_, verdict, err := c.RunHealthcheck()
			if err != nil {
				stopStaleHealthTimer(args[0], c)
				return err
			}
			if verdict != runtime.HealthHealthy {
				fmt.Println(verdict)
				return &exitError{code: 1}
			}
			return nil
		},
	})
	return cmd
}

// healthConfig is podman's Config.Healthcheck and on-failure action in inspect.
type healthConfig struct {
	Healthcheck                *inspectHealthcheck `json:"Healthcheck,omitempty"`
	HealthcheckOnFailureAction string              `json:"HealthcheckOnFailureAction,omitempty"`
}

// inspectHealthcheck is Docker's HealthConfig, durations in nanoseconds.
type inspectHealthcheck struct {
	Test        []string      `json:"Test"`
	StartPeriod time.Duration `json:"StartPeriod,omitempty"`
	Interval    time.Duration `json:"Interval,omitempty"`
	Timeout     time.Duration `json:"Timeout,omitempty"`
	Retries     int           `json:"Retries,omitempty"`
}

// inspectHealth is inspect's State.Health and Config's health check.
func inspectHealth(c *runtime.Container) (*runtime.HealthState, healthConfig) {
	hc := c.Healthcheck
	if hc == nil {
		return nil, healthConfig{}
	}
	action := hc.OnFailure
	if action == "" {
		action = "none"
	}
	return c.Health(), healthConfig{
		Healthcheck: &inspectHealthcheck{Test: hc.Test, StartPeriod: hc.StartPeriod, Interval: hc.Interval,
			Timeout: hc.Timeout, Retries: hc.Retries},
		HealthcheckOnFailureAction: action,
	}
}

// healthSuffix is what ps adds to a running container's status: " (healthy)".
func healthSuffix(c *runtime.Container, st runtime.State) string {
	if st.ShownStatus() != "running" {
		return ""
	}
	if h := c.Health(); h != nil {
		return " (" + h.Status + ")"
	}
	return ""
}
