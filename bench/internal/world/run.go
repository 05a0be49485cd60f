package world

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// RunTimeout bounds one timed run.
const RunTimeout = 2 * time.Minute

// Row is one command a benchmark times.
type Row struct {
	Name  string   // label in the table
	Argv  []string // command line; Argv[0] is a path
	IsRef bool     // the rpod row every ratio is relative to

	Why   string // non-empty: unavailable, and why
	Times []time.Duration
}

// Prepare sets cmd's environment and directory, sends stdout to /dev/null
// and stderr to a temporary file (files, so no copying goroutines run during
// the measurement). done closes and removes them.
func (w *World) Prepare(cmd *exec.Cmd) (errFile *os.File, done func(), err error) {
	errFile, err = os.CreateTemp(w.Dir, "stderr-")
	if err != nil {
		return nil, nil, err
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		errFile.Close()
		os.Remove(errFile.Name())
		return nil, nil, err
	}
	cmd.Env = w.Env
	cmd.Dir = w.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, errFile
	return errFile, func() {
		devnull.Close()
		errFile.Close()
		os.Remove(errFile.Name())
	}, nil
}

// RunError adds the tail of the command's stderr to its error.
func RunError(err error, errFile *os.File) error {
	msg, _ := os.ReadFile(errFile.Name())
	return fmt.Errorf("%v: %s", err, Tail(string(msg), 600))
}

// RunOnce runs r's command once in the world and returns its wall time:
// time.Now() around exec.Cmd.Run(). Then, untimed, it waits for what the
// command left running to exit (settle), inside Measure.
func (w *World) RunOnce(ctx context.Context, r *Row) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Argv[0], r.Argv[1:]...)
	errFile, done, err := w.Prepare(cmd)
	if err != nil {
		return 0, err
	}
	defer done()

	settled := leftovers() // settle.go
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	settled()
	if err != nil {
		return d, RunError(err, errFile)
	}
	return d, nil
}

// ErrInterrupted is Measure's error when ctx is cancelled by a signal.
var ErrInterrupted = errors.New("interrupted")

// Measure runs every available row warmups times, then n times each,
// interleaved (r1, r2, ..., r1, r2, ...) so that a slow phase of the machine
// hits all rows alike, and appends the timed runs' wall times to the rows. If
// before is not nil it runs, untimed, before every run of a row. A row that
// fails is marked unavailable and left out; a failure of the reference row is
// Measure's error. It returns the load average taken before the timed runs.
func (w *World) Measure(ctx context.Context, rows []*Row, n, warmups int, before func(*Row) error) (string, error) {
	once := func(r *Row) (time.Duration, error) {
		if before != nil {
			if err := before(r); err != nil {
				return 0, fmt.Errorf("before the run: %w", err)
			}
		}
		return w.RunOnce(ctx, r)
	}
	defer reap()() // settle.go
	for _, r := range rows {
		if r.Why != "" {
			continue
		}
		for i := 0; i < warmups; i++ {
			if _, err := once(r); err != nil {
				r.Why = fmt.Sprintf("warm-up run %d failed: %v", i+1, err)
				break
			}
		}
		if ctx.Err() != nil {
			return "", ErrInterrupted
		}
		if r.IsRef && r.Why != "" {
			return "", fmt.Errorf("rpod: %s", r.Why)
		}
	}

	loadBefore := Loadavg()
	for i := 0; i < n; i++ {
		for _, r := range rows {
			if r.Why != "" {
				continue
			}
			d, err := once(r)
			if ctx.Err() != nil {
				return "", ErrInterrupted
			}
			if err != nil {
				r.Why = fmt.Sprintf("timed run %d failed: %v", i+1, err)
				if r.IsRef {
					return "", fmt.Errorf("rpod: %s", r.Why)
				}
				continue
			}
			r.Times = append(r.Times, d)
		}
	}
	return loadBefore, nil
}
