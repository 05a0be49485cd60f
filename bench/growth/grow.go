package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

// bench is the world and what the store holds so far.
type bench struct {
	w      *world.World
	podman *engine // nil: unavailable
	rpod   *engine
	// ctrsOnly is rpod with a store of its own that grows by containers
	// alone: the issue bounds the start path's growth with the containers.
	ctrsOnly *engine
	workers  int
	podWhy   string
	strace   string // path of strace; "" if not installed
}

// engine is one tool and how many containers and images it was given so far.
type engine struct {
	name     string
	bin      string
	global   []string // options before the command (another store)
	run      []string // argv prefix before the image for run --rm
	create   []string // argv prefix before --name for create
	noImages bool     // grows by containers alone
	ctrs     int
	images   int
}

// argv is the tool's command line for args.
func (e *engine) argv(args ...string) []string {
	return append(append([]string{e.bin}, e.global...), args...)
}

// point is every row measured at one store size.
type point struct {
	size   int
	rows   []*world.Row
	listed map[string]int // containers or images each listing command printed, heading left out
	grow   map[string]time.Duration
	sys    map[string]sysCount // one run of each row under strace -f -c
}

// setup pushes busybox and pulls it into both stores.
func (b *bench) setup(ctx context.Context) error {
	w := b.w
	if err := w.PushBusybox(ctx); err != nil {
		return err
	}
	if out, err := w.Output(ctx, w.Rpod, "pull", "-q", "busybox"); err != nil {
		return fmt.Errorf("rpod pull busybox: %v: %s", err, world.Tail(out, 600))
	}
	if path, err := world.LookPath("strace"); err == nil {
		b.strace = path
	}
	b.rpod = &engine{name: "rpod", bin: w.Rpod, run: []string{w.Rpod, "run", "--rm", "--network", "none"}, create: []string{w.Rpod, "create"}}
	c := &engine{name: "rpod-ctrs", bin: w.Rpod, noImages: true,
		global: []string{"--root", filepath.Join(w.Dir, "ctrs-only", "root"), "--runroot", filepath.Join(w.Dir, "ctrs-only", "run")}}
	c.run, c.create = c.argv("run", "--rm", "--network", "none"), c.argv("create")
	if out, err := w.Output(ctx, w.Rpod, c.argv("pull", "-q", "busybox")[1:]...); err != nil {
		return fmt.Errorf("rpod pull busybox into the containers-only store: %v: %s", err, world.Tail(out, 600))
	}
	b.ctrsOnly = c
	podman, why := w.PodmanBusybox(ctx, 600)
	if why != "" {
		b.podWhy = why
		return nil
	}
	b.podman = &engine{name: "podman", bin: podman, run: []string{podman, "--runtime", "runc", "run", "--rm", "--network", "none"},
		create: []string{podman, "--runtime", "runc", "create"}}
	return nil
}

// measureAt grows the stores to size containers and size imported images,
// then times every listing and start command n times, interleaved.
func (b *bench) measureAt(ctx context.Context, size int, withPodman bool, n int) (*point, error) {
	p := &point{size: size, listed: map[string]int{}, grow: map[string]time.Duration{}, sys: map[string]sysCount{}}
	engines := []*engine{b.rpod, b.ctrsOnly}
	if withPodman {
		engines = append(engines, b.podman)
	}
	for _, e := range engines {
		if e.noImages {
			fmt.Fprintf(os.Stderr, "bench: %s: growing its store to %d containers\n", e.name, size)
		} else {
			fmt.Fprintf(os.Stderr, "bench: %s: growing the store to %d containers and %d imported images\n", e.name, size, size)
		}
		start := time.Now()
		if err := b.grow(ctx, e, size); err != nil {
			if e == b.rpod {
				return nil, err
			}
			b.podWhy = err.Error()
			b.podman, withPodman = nil, false
			continue
		}
		p.grow[e.name] = time.Since(start)
	}
	for _, e := range engines {
		if e == b.podman && !withPodman {
			continue
		}
		if e.noImages {
			p.rows = append(p.rows, &world.Row{Name: e.name + " run --rm --network none", Argv: append(append([]string{}, e.run...), "busybox", "true")})
			continue
		}
		p.rows = append(p.rows,
			&world.Row{Name: e.name + " ps -a", Argv: []string{e.bin, "ps", "-a"}, IsRef: e == b.rpod},
			&world.Row{Name: e.name + " images", Argv: []string{e.bin, "images"}},
			&world.Row{Name: e.name + " run --rm --network none", Argv: append(append([]string{}, e.run...), "busybox", "true")},
		)
	}
	for _, r := range p.rows {
		if !strings.HasSuffix(r.Name, "run --rm --network none") {
			out, err := b.w.Output(ctx, r.Argv[0], r.Argv[1:]...)
			if err != nil {
				r.Why = fmt.Sprintf("%v: %s", err, world.Tail(out, 400))
				continue
			}
			p.listed[r.Name] = strings.Count(strings.TrimRight(out, "\n"), "\n")
		}
	}
	if _, err := b.w.Measure(ctx, p.rows, n, warmups, nil); err != nil {
		return nil, err
	}
	if b.strace == "" {
		return p, nil
	}
	for _, r := range p.rows {
		if r.Why != "" {
			continue
		}
		c, err := countSyscalls(ctx, b.w, b.strace, r.Argv)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: N = %d: %s under strace: %v\n", size, r.Name, err)
			continue
		}
		p.sys[r.Name] = c
	}
	return p, nil
}

// grow creates containers and imports images until e has size of each.
func (b *bench) grow(ctx context.Context, e *engine, size int) error {
	w := b.w
	from := e.ctrs
	err := world.Parallel(size-from, b.workers, func(i int) error {
		argv := append(append([]string{}, e.create...), "--name", fmt.Sprintf("g%05d", from+i), "busybox", "true")
		if out, err := w.Output(ctx, argv[0], argv[1:]...); err != nil {
			return fmt.Errorf("%s create: %v: %s", e.name, err, world.Tail(out, 400))
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.ctrs = size
	if e.noImages {
		return nil
	}

	from = e.images
	err = world.Parallel(size-from, b.workers, func(i int) error {
		name := fmt.Sprintf("gimg%05d", from+i)
		file := filepath.Join(w.Dir, e.name+"-"+name+".tar")
		if err := writeTar(file, name); err != nil {
			return err
		}
		defer os.Remove(file)
		if out, err := w.Output(ctx, e.bin, append(e.global, "import", "-q", file, name)...); err != nil {
			return fmt.Errorf("%s import: %v: %s", e.name, err, world.Tail(out, 400))
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.images = size
	return nil
}

// writeTar writes a root filesystem tarball holding one small file named
// after the image, so that every imported image and layer is distinct.
func writeTar(path, name string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	data := []byte(name + "\n")
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
