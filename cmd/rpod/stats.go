package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newStatsCmd)
	registerContainer(newStatsCmd)
}

type statsFlags struct {
	all, noStream, noReset bool
	format                 string
	interval               int
}

func newStatsCmd() *cobra.Command {
	var f statsFlags
	cmd := &cobra.Command{
		Use:   "stats [flags] [CONTAINER...]",
		Short: "Show the resource usage of running containers, refreshed each interval",
		RunE: func(cmd *cobra.Command, args []string) error {
			return containerStats(&f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.all, "all", "a", false, "show all containers (those not running show no usage)")
	fl.BoolVar(&f.noStream, "no-stream", false, "print one reading and exit")
	fl.BoolVar(&f.noReset, "no-reset", false, "do not clear the screen between readings")
	fl.StringVar(&f.format, "format", "", "output: json, or a Go template (table {{.ID}} {{.CPUPerc}}...)")
	fl.IntVarP(&f.interval, "interval", "i", 1, "seconds between readings")
	return cmd
}

// statsRow is one container's reading; its fields are the template's and
// its json tags podman's `stats --format json` names.
type statsRow struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	CPU           string `json:"cpu_time"`
	CPUPerc       string `json:"cpu_percent"`
	AVGCPU        string `json:"avg_cpu"`
	MemUsage      string `json:"mem_usage"`
	MemUsageBytes string `json:"mem_usage_bytes"`
	MemPerc       string `json:"mem_percent"`
	NetIO         string `json:"net_io"`
	BlockIO       string `json:"block_io"`
	PIDs          string `json:"pids"`
}

var statsHeaders = map[string]string{"CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemUsageBytes": "MEM USAGE / LIMIT",
	"MemPerc": "MEM %", "NetIO": "NET IO", "BlockIO": "BLOCK IO", "PIDs": "PIDS", "AVGCPU": "AVG CPU %", "CPU": "CPU TIME"}

// statsDefault is podman's stats table.
const statsDefault = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// cpuSample is the last CPU reading of a container, for the next CPU %.
type cpuSample struct {
	usec uint64
	at   time.Time
}

func containerStats(f *statsFlags, names []string) error {
	if f.interval < 1 {
		return fmt.Errorf("invalid --interval %d: use at least 1 second", f.interval)
	}
	if f.all && len(names) > 0 {
		return fmt.Errorf("--all and container names cannot be used together: give one or the other")
	}
	if _, _, _, err := parseFormat(cmp.Or(f.format, statsDefault)); err != nil && f.format != "json" {
		return err
	}
	if h := runtime.DetectCgroups(); h.Version != "v2" {
		// podman's wording: there is nothing to read on this host; the reason names the fix.
		return fmt.Errorf("stats is not supported in rootless mode without cgroups v2: %s", h.Reason)
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	var cs []*runtime.Container
	if len(names) > 0 {
		for _, n := range names {
			c, err := runtime.Load(store, n)
			if err != nil {
				return err
			}
			if st := c.State(); st.Status == "running" && st.CgroupPath == "" {
				return c.NoCgroupError("stats")
			}
			cs = append(cs, c)
		}
	} else if cs, err = runtime.List(store); err != nil {
		return err
	}
	prev := map[string]cpuSample{}
	for {
		var rows []statsRow
		for _, c := range cs {
			st := c.State()
			if st.Status != "running" && !f.all && len(names) == 0 {
				continue
			}
			rows = append(rows, readStats(c, st, prev))
		}
		if !f.noStream && !f.noReset && f.format != "json" {
			fmt.Print("\033[2J\033[H") // as podman: each reading on a clear screen
		}
		if err := printStats(f, rows); err != nil {
			return err
		}
		if f.noStream {
			return nil
		}
		time.Sleep(time.Duration(f.interval) * time.Second)
	}
}

func printStats(f *statsFlags, rows []statsRow) error {
	if f.format == "json" {
		if rows == nil {
			rows = []statsRow{}
		}
		b, err := json.MarshalIndent(rows, "", "    ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
		return nil
	}
	items := make([]any, len(rows))
	for i, r := range rows {
		items[i] = r
	}
	return printTable(os.Stdout, cmp.Or(f.format, statsDefault), statsHeaders, items, false)
}

// readStats reads c's cgroup and network counters; CPU % is over the time
// since the last reading in prev, or since the container started.
func readStats(c *runtime.Container, st runtime.State, prev map[string]cpuSample) statsRow {
	r := statsRow{ID: c.ID[:12], Name: c.Name, CPU: "0s", CPUPerc: "--", AVGCPU: "--", MemUsage: "-- / --", MemUsageBytes: "-- / --",
		MemPerc: "--", NetIO: "-- / --", BlockIO: "-- / --", PIDs: "--"}
	if st.Status != "running" || st.CgroupPath == "" {
		return r
	}
	s, err := cgroupdelegate.Open(st.CgroupPath).Stats()
	if err != nil {
		return r
	}
	now := time.Now()
	last, ok := prev[c.ID]
	if !ok || s.CPUUsec < last.usec {
		last = cpuSample{usec: 0, at: st.StartedAt}
	}
	prev[c.ID] = cpuSample{usec: s.CPUUsec, at: now}
	r.CPUPerc = percent(float64(s.CPUUsec-last.usec), float64(now.Sub(last.at).Microseconds()))
	r.AVGCPU = percent(float64(s.CPUUsec), float64(now.Sub(st.StartedAt).Microseconds()))
	r.CPU = (time.Duration(s.CPUUsec) * time.Microsecond).Round(time.Millisecond).String()
	r.MemUsage = units.HumanSizeWithPrecision(float64(s.MemoryUsage), 4) + " / " + units.HumanSizeWithPrecision(float64(s.MemoryLimit), 4)
	r.MemUsageBytes = units.BytesSize(float64(s.MemoryUsage)) + " / " + units.BytesSize(float64(s.MemoryLimit))
	r.MemPerc = percent(float64(s.MemoryUsage), float64(s.MemoryLimit))
	r.BlockIO = units.HumanSizeWithPrecision(float64(s.BlockRead), 4) + " / " + units.HumanSizeWithPrecision(float64(s.BlockWrite), 4)
	r.PIDs = strconv.FormatUint(s.PIDs, 10)
	if rx, tx, err := netDev(st.Pid); err == nil {
		r.NetIO = units.HumanSizeWithPrecision(float64(rx), 4) + " / " + units.HumanSizeWithPrecision(float64(tx), 4)
	}
	return r
}

func percent(part, whole float64) string {
	if whole <= 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%.2f%%", 100*part/whole)
}

// netDev sums the received and sent bytes of every interface but lo in
// the network namespace of pid, from /proc/PID/net/dev.
func netDev(pid int) (rx, tx uint64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return parseNetDev(bufio.NewScanner(f))
}

// parseNetDev parses /proc/net/dev: two header lines, then
// "IFACE: RXBYTES packets ... (8 receive fields) TXBYTES ...".
func parseNetDev(sc *bufio.Scanner) (rx, tx uint64, err error) {
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) < 9 {
			continue
		}
		r, err1 := strconv.ParseUint(fs[0], 10, 64)
		t, err2 := strconv.ParseUint(fs[8], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, errors.New("unreadable /proc/net/dev")
		}
		rx += r
		tx += t
	}
	return rx, tx, sc.Err()
}
