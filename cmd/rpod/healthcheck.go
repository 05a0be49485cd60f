package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/runtime"
)

func init() { register(newHealthcheckCmd) }

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
				return err
			}
			_, verdict, err := c.RunHealthcheck()
			if err != nil {
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
