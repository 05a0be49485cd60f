package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/runtime"
)

func TestBuildSpec(t *testing.T) {
	ic := image.Config{Env: []string{"PATH=/img/bin", "A=1"}, Entrypoint: []string{"/ep"}, Cmd: []string{"default"}, WorkingDir: "/w", User: "app"}
	for _, tc := range []struct {
		name    string
		f       runFlags
		args    []string
		argv    []string
		cwd     string
		user    string
		env     []string
		wantErr string
	}{
		{name: "image defaults", argv: []string{"/ep", "default"}, cwd: "/w", user: "app"},
		{name: "args replace cmd", args: []string{"x", "y"}, argv: []string{"/ep", "x", "y"}, cwd: "/w", user: "app"},
		{name: "entrypoint resets cmd", f: runFlags{entrypoint: "sh", entrypointSet: true}, argv: []string{"sh"}, cwd: "/w", user: "app"},
		{name: "entrypoint json", f: runFlags{entrypoint: `["a","b"]`, entrypointSet: true}, args: []string{"c"}, argv: []string{"a", "b", "c"}, cwd: "/w", user: "app"},
		{name: "empty entrypoint", f: runFlags{entrypointSet: true}, args: []string{"c"}, argv: []string{"c"}, cwd: "/w", user: "app"},
		{name: "flags win", f: runFlags{workdir: "/x", user: "0:0", env: []string{"A=2", "B=3"}}, argv: []string{"/ep", "default"}, cwd: "/x", user: "0:0",
			env: []string{"PATH=/img/bin", "A=2", "container=rpod", "B=3"}},
		{name: "relative workdir", f: runFlags{workdir: "rel"}, wantErr: "must be an absolute path"},
		{name: "bad json", f: runFlags{entrypoint: `["x"`, entrypointSet: true}, wantErr: "invalid --entrypoint"},
		{name: "empty env name", f: runFlags{env: []string{"=v"}}, wantErr: "the name is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := buildSpec(&tc.f, ic, tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Args, tc.argv) || s.Cwd != tc.cwd || s.User != tc.user {
				t.Errorf("got argv %q cwd %q user %q", s.Args, s.Cwd, s.User)
			}
			if tc.env != nil && !reflect.DeepEqual(s.Env, tc.env) {
				t.Errorf("env %q, want %q", s.Env, tc.env)
			}
		})
	}
	s, _ := buildSpec(&runFlags{tty: true}, image.Config{}, []string{"sh"})
	if !reflect.DeepEqual(s.Env, []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=rpod", "TERM=xterm"}) {
		t.Errorf("default env %q", s.Env)
	}
}

func TestBuildSpecMounts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       runFlags
		want    []runtime.Mount
		ro      bool
		wantErr string
	}{
		{name: "bind and volume", f: runFlags{volumes: []string{"/h:/c:ro", "v1:/data/:U"}}, want: []runtime.Mount{
			{Type: "bind", Source: "/h", Destination: "/c", ReadOnly: true},
			{Type: "volume", Source: "v1", Destination: "/data", Chown: true}}},
		{name: "mount and tmpfs", f: runFlags{mounts: []string{"type=tmpfs,dst=/t,tmpfs-mode=700"}, tmpfs: []string{"/s:size=1m"}}, want: []runtime.Mount{
			{Type: "tmpfs", Destination: "/t", Options: []string{"nosuid", "nodev"}, Data: "mode=700"},
			{Type: "tmpfs", Destination: "/s", Options: []string{"nosuid", "nodev", "noexec"}, Data: "size=1m"}}},
		{name: "read-only adds tmpfs", f: runFlags{readOnly: true, readOnlyTmpfs: true, tmpfs: []string{"/tmp"}}, ro: true, want: []runtime.Mount{
			{Type: "tmpfs", Destination: "/tmp", Options: []string{"nosuid", "nodev", "noexec"}},
			{Type: "tmpfs", Destination: "/var/tmp", Options: []string{"nosuid", "nodev"}, Data: "mode=1777"},
			{Type: "tmpfs", Destination: "/run", Options: []string{"nosuid", "nodev"}, Data: "mode=755"}}},
		{name: "read-only without tmpfs", f: runFlags{readOnly: true}, ro: true},
		{name: "relative destination", f: runFlags{volumes: []string{"/h:c"}}, wantErr: "must be an absolute path"},
		{name: "duplicate destination", f: runFlags{volumes: []string{"/h:/c"}, tmpfs: []string{"/c/"}}, wantErr: "duplicate mount destination"},
		{name: "bad mount", f: runFlags{mounts: []string{"type=bind,dst=/c"}}, wantErr: "needs source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := buildSpec(&tc.f, image.Config{}, []string{"sh"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Mounts, tc.want) || s.ReadOnly != tc.ro {
				t.Errorf("mounts %+v ro %v, want %+v %v", s.Mounts, s.ReadOnly, tc.want, tc.ro)
			}
		})
	}
}

func TestBuildSpecEnvFile(t *testing.T) {
	file := t.TempDir() + "/env"
	os.WriteFile(file, []byte("A=file\nB=file\n"), 0o644)
	s, err := buildSpec(&runFlags{envFiles: []string{file}, env: []string{"B=flag"}}, image.Config{Env: []string{"PATH=/p", "A=img"}}, []string{"sh"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"PATH=/p", "A=file", "container=rpod", "B=flag"}; !reflect.DeepEqual(s.Env, want) {
		t.Errorf("env %q, want %q", s.Env, want)
	}
	if _, err := buildSpec(&runFlags{envFiles: []string{file + ".missing"}}, image.Config{}, nil); err == nil || !strings.Contains(err.Error(), "--env-file") {
		t.Errorf("missing env file: %v", err)
	}
}
