package runtime

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/cgroupdelegate"
)

// execHealth runs the check's command in the running container as rpod
// exec does, killing it past the timeout, and returns the result.
func (c *Container) execHealth(st State, argv []string) HealthResult {
	cs := c.Spec
	spec := Spec{Args: argv, Env: append([]string{}, cs.Env...), Cwd: cs.Cwd, User: cs.User,
		Caps: cs.Caps, NoNewPrivileges: cs.NoNewPrivileges, Seccomp: cs.Seccomp, SeccompProfile: cs.SeccompProfile,
		Ulimits: cs.Ulimits, GroupAdd: cs.GroupAdd, UserNS: cs.UserNS}
	res := HealthResult{Start: time.Now()}
	finish := func(code int, out string) HealthResult {
		res.End, res.ExitCode = time.Now(), code
		if len(out) > healthOutputMax {
			out = out[:healthOutputMax]
		}
		res.Output = out
		return res
	}
	r, w, err := os.Pipe()
	if err != nil {
		return finish(ExitRpodError, fmt.Sprintf("output pipe: %v", err))
	}
	var cg *cgroupdelegate.Group
	if st.CgroupPath != "" {
		cg = cgroupdelegate.Open(st.CgroupPath)
	}
	stdio := Stdio{Out: w, Err: w}
	p, err := StartExec(st.Pid, st.PidStart, cg, &spec, stdio)
	w.Close()
	if err != nil {
		r.Close()
		return finish(ErrorCode(err), err.Error())
	}
	var out []byte
	var reading sync.WaitGroup
	reading.Add(1)
	go func() {
		defer reading.Done()
		b, _ := io.ReadAll(io.LimitReader(r, 64<<10))
		out = b
		io.Copy(io.Discard, r)
	}()
	timeout := c.Healthcheck.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	timedOut := false
	var mu sync.Mutex
	timer := time.AfterFunc(timeout, func() {
		mu.Lock()
		timedOut = true
		mu.Unlock()
		// The exec step is a session leader: its group holds the command.
		unix.Kill(-p.Pid(), unix.SIGKILL)
		unix.Kill(p.Pid(), unix.SIGKILL)
	})
	code, werr := p.Wait(Stdio{})
	timer.Stop()
	// A background process of the check may hold the pipe: do not wait for it long.
	done := make(chan struct{})
	go func() { reading.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	r.Close()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if timedOut {
		return finish(1, fmt.Sprintf("healthcheck command exceeded timeout of %s", timeout))
	}
	if werr != nil {
		return finish(ErrorCode(werr), werr.Error())
	}
	return finish(code, string(out))
}
