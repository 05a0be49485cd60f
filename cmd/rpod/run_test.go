package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rpod/rpod/image"
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
