package quadlet

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const testRpod = "/usr/bin/rpod"

// render is what a golden file holds: the dryrun output and the errors,
// with the test directory's path replaced by DIR.
func render(t *testing.T, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, errs := Load([]string{abs})
	units, gerrs := Generate(files, Options{Rpod: testRpod})
	var b strings.Builder
	b.WriteString(Dryrun(units))
	for _, e := range append(errs, gerrs...) {
		b.WriteString("error: " + e.Error() + "\n")
	}
	return strings.ReplaceAll(b.String(), abs, "DIR")
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"full", "minimal", "options", "errors"} {
		t.Run(name, func(t *testing.T) {
			got := render(t, filepath.Join("testdata", name))
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string // sections as Name{Key=Value@line,...}; or the error
	}{
		{"empty", "", ""},
		{"comments", "# c\n; c\n[A]\nK=V\n", "A{K=V@4}"},
		{"spaces", "[A]\n  K  =  V W  \n", "A{K=V W@2}"},
		{"empty value", "[A]\nK=\n", "A{K=@2}"},
		{"equals in value", "[A]\nK=a=b\n", "A{K=a=b@2}"},
		{"continuation", "[A]\nK=a \\\n  b\\\n c\nL=1\n", "A{K=a b c@2,L=1@5}"},
		{"comment in continuation", "[A]\nK=a \\\n# skipped\n b\n", "A{K=a b@2}"},
		{"crlf", "[A]\r\nK=V\r\n", "A{K=V@2}"},
		{"two sections", "[A]\nK=1\n[B]\nK=2\n[A]\nK=3\n", "A{K=1@2}B{K=2@4}A{K=3@6}"},
		{"no section", "K=V\n", `F:1: key "K" outside of any [Section]`},
		{"no equals", "[A]\nK\n", `F:2: malformed line "K": expected Key=Value`},
		{"bad header", "[A\n", `F:1: malformed section header "[A"`},
		{"junk after header", "[A] x\n", `F:1: malformed section header "[A] x"`},
		{"empty header", "[]\n", `F:1: malformed section header "[]"`},
		{"empty key", "[A]\n=V\n", `F:2: malformed key ""`},
		{"space in key", "[A]\nK K=V\n", `F:2: malformed key "K K"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := Parse("F", []byte(tc.in))
			var got string
			if err != nil {
				got = err.Error()
			} else {
				for _, s := range u.Sections {
					var es []string
					for _, e := range s.Entries {
						es = append(es, e.Key+"="+e.Value+"@"+strconv.Itoa(e.Line))
					}
					got += s.Name + "{" + strings.Join(es, ",") + "}"
				}
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"a b  c", []string{"a", "b", "c"}, false},
		{`"a b" c`, []string{"a b", "c"}, false},
		{`'a "b"' c`, []string{`a "b"`, "c"}, false},
		{`A="x y"`, []string{"A=x y"}, false},
		{`a\ b`, []string{"a b"}, false},
		{`a\nb`, []string{"a\nb"}, false},
		{`""`, []string{""}, false},
		{`"open`, nil, true},
		{`trail\`, nil, true},
	} {
		got, err := SplitWords(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("SplitWords(%q) error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("SplitWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
		// Quoting and splitting again gives the same words.
		if err == nil {
			back, err := SplitWords(JoinWords(got))
			if err != nil || strings.Join(back, "|") != strings.Join(got, "|") || len(back) != len(got) {
				t.Errorf("SplitWords(JoinWords(%q)) = %q, %v", got, back, err)
			}
		}
	}
}

// TestKeyFlags checks one [Container] key at a time against the flags it
// must add to rpod run.
func TestKeyFlags(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"Exec=sh -c 'echo hi'", `busybox sh -c "echo hi"`},
		{"Environment=A=1 B=2", "--env A=1 --env B=2 busybox"},
		{"EnvironmentFile=/e", "--env-file /e"},
		{"PublishPort=8080:80", "-p 8080:80"},
		{"Volume=/srv:/srv:ro", "-v /srv:/srv:ro"},
		{"Volume=/anon", "-v /anon"},
		{"Network=none", "--network none"},
		{"Network=slirp4netns:port_handler=slirp4netns", "--network slirp4netns:port_handler=slirp4netns"},
		{"User=42", "--user 42"},
		{"Label=a=b c=d", "--label a=b --label c=d"},
		{"Annotation=k=v", "--annotation k=v"},
		{"ContainerName=web", "--name web"},
		{"HostName=h", "--hostname h"},
		{"WorkingDir=/w", "-w /w"},
		{"Notify=true", "--sdnotify=container"},
		{"Notify=false", "--sdnotify=conmon"},
		{"Notify=healthy", "--sdnotify=healthy"},
		{"PodmanArgs=--init", "--init busybox"},
		{"RpodArgs=--tmpfs /t", "--tmpfs /t busybox"},
		{"AddCapability=NET_ADMIN", "--cap-add NET_ADMIN"},
		{"DropCapability=ALL", "--cap-drop ALL"},
		{"ReadOnly=true", "--read-only"},
		{"ReadOnly=false", "-d busybox"},
		{"ReadOnlyTmpfs=no", "--read-only-tmpfs=false"},
		{"Tmpfs=/t:size=1m", "--tmpfs /t:size=1m"},
		{"NoNewPrivileges=1", "--security-opt no-new-privileges"},
		{"GlobalArgs=--root /r", "--root /r run --name"},
		{"PidsLimit=100", "--pids-limit 100"},
		{"Memory=512m", "--memory 512m"},
		{"CgroupsMode=no-conmon", "--cgroups=no-conmon --sdnotify"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			u, err := Parse("/q/x.container", []byte("[Container]\nImage=busybox\n"+tc.line+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			units, errs := Generate([]*UnitFile{u}, Options{Rpod: testRpod})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			var start string
			for _, l := range strings.Split(units[0].Content, "\n") {
				if strings.HasPrefix(l, "ExecStart=") {
					start = l
				}
			}
			if !strings.Contains(start, " "+tc.want) {
				t.Errorf("ExecStart does not contain %q:\n%s", tc.want, start)
			}
		})
	}
}

// TestErrors checks that a bad file names its line.
func TestErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"[Container]\nImage=b\nBogus=1\n", `/q/x.container:3: unsupported key "Bogus" in section [Container]`},
		{"[Container]\nImage=b\nTimezone=local\n", `/q/x.container:3: unsupported key "Timezone" in section [Container]: rpod run has no --tz`},
		{"[Container]\n\nImage=b\nReadOnly=2\n", `/q/x.container:4: invalid boolean "2" for ReadOnly=: use true or false`},
		{"[Container]\nImage=b\nNetwork=mynet\n", `/q/x.container:3: Network=mynet: rpod has no bridge or named networks`},
		{"[Container]\nImage=b\nEnvironment=NOVALUE\n", `/q/x.container:3: invalid Environment= word "NOVALUE"`},
		{"[Container]\nImage=b\nExec=\"a\n", `/q/x.container:3: Exec=: unterminated quote`},
		{"[Container]\nImage=b\nNetwork=none\nNetwork=host\n", `/q/x.container:4: more than one Network=`},
		{"[Container]\n", `/q/x.container: no Image= in [Container]`},
		{"[Service]\nType=simple\n", `/q/x.container: no [Container] section`},
		{"[Container]\nImage=b\n[Quadlet]\nFoo=1\n", `/q/x.container:4: unsupported key "Foo" in section [Quadlet]`},
		{"[Container]\nImage=b\n[Install]\nWantedBy=a/b\n", `/q/x.container:4: invalid unit name "a/b" in WantedBy=`},
	} {
		u, err := Parse("/q/x.container", []byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		_, errs := Generate([]*UnitFile{u}, Options{Rpod: testRpod})
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
			t.Errorf("%q: errors %v, want %q", tc.body, errs, tc.want)
		}
	}
}

func TestUserDirs(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	got := strings.Join(UserDirs(1000), " ")
	want := "/cfg/containers/systemd /etc/containers/systemd/users/1000 /etc/containers/systemd/users"
	if got != want {
		t.Errorf("UserDirs = %s, want %s", got, want)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := UserDirs(7)[0]; got != "/home/u/.config/containers/systemd" {
		t.Errorf("UserDirs without XDG_CONFIG_HOME = %s", got)
	}
}

// TestLoadPrecedence: a file in an earlier directory hides one of the same
// name later; other users' directories under users/ are not read.
func TestLoadPrecedence(t *testing.T) {
	d := t.TempDir()
	write := func(p, s string) {
		p = filepath.Join(d, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("user/a.container", "[Container]\nImage=mine\n")
	write("user/sub/b.container", "[Container]\nImage=sub\n")
	write("users/a.container", "[Container]\nImage=theirs\n")
	write("users/c.container", "[Container]\nImage=all\n")
	write("users/1001/d.container", "[Container]\nImage=other\n")
	write("user/notes.txt", "not a unit")
	files, errs := Load([]string{filepath.Join(d, "user"), filepath.Join(d, "missing"), filepath.Join(d, "users")})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f.Path)+"="+f.Sections[0].Entries[0].Value)
	}
	if s := strings.Join(got, " "); s != "a.container=mine b.container=sub c.container=all" {
		t.Errorf("loaded %s", s)
	}
}

func TestWrite(t *testing.T) {
	u, _ := Parse("/q/x.container", []byte("[Container]\nImage=b\n[Install]\nWantedBy=default.target\nAlias=y.service\n"))
	units, errs := Generate([]*UnitFile{u}, Options{Rpod: testRpod})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	d := t.TempDir()
	if err := Write(d, units); err != nil {
		t.Fatal(err)
	}
	if err := Write(d, units); err != nil { // a second run replaces the links
		t.Fatal(err)
	}
	if l, err := os.Readlink(filepath.Join(d, "default.target.wants/x.service")); err != nil || l != "../x.service" {
		t.Errorf("wants link: %q %v", l, err)
	}
	if l, err := os.Readlink(filepath.Join(d, "y.service")); err != nil || l != "x.service" {
		t.Errorf("alias link: %q %v", l, err)
	}
	if _, err := os.Stat(filepath.Join(d, "default.target.wants/x.service")); err != nil {
		t.Errorf("wants link does not resolve: %v", err)
	}
}

func TestServiceUnit(t *testing.T) {
	got := ServiceUnit(ServiceOptions{Rpod: "/bin/rpod", ServiceName: "container-web", Container: "web", Name: "web",
		RestartPolicy: "always", StopTimeout: 5, New: true, RunArgs: []string{"-p", "80:80", "busybox", "httpd", "-f"}})
	for _, want := range []string{
		"Description=rpod container-web.service\n",
		"Restart=always\n",
		"TimeoutStopSec=65\n",
		"ExecStart=/bin/rpod run \\\n\t--cidfile=%t/%n.ctr-id \\\n\t--cgroups=no-conmon \\\n\t--rm \\\n\t--sdnotify=conmon \\\n\t--replace \\\n\t-d \\\n\t--name web \\\n\t-p 80:80 busybox httpd \\\n\t-f\n",
		"ExecStop=/bin/rpod stop \\\n\t--ignore \\\n\t-t 5 \\\n\t--cidfile=%t/%n.ctr-id\n",
		"Type=notify\n",
		"WantedBy=default.target\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("unit lacks %q:\n%s", want, got)
		}
	}
	got = ServiceUnit(ServiceOptions{Rpod: "/bin/rpod", ServiceName: "container-web", Container: "abc", RestartPolicy: "on-failure", StopTimeout: 10})
	for _, want := range []string{"ExecStart=/bin/rpod start abc\n", "ExecStop=/bin/rpod stop \\\n\t-t 10 abc\n", "Type=forking\n", "TimeoutStopSec=70\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("unit lacks %q:\n%s", want, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"[Container]\nImage=b\nExec=a \"b c\"\n", "[A]\nK=a \\\n b\n", "# c\n[Unit]\nX=1\n", "K=V", "[", "[Container]\nImage=x.image\nVolume=v.volume:/d\nNetwork=n.network\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse("/f/x.container", []byte(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "/f/x.container:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		// Whatever parses generates a unit or a file-named error, and never panics.
		units, errs := Generate([]*UnitFile{u}, Options{Rpod: testRpod})
		for _, e := range errs {
			if !strings.HasPrefix(e.Error(), "/f/x.container") {
				t.Fatalf("error without the file: %v", e)
			}
		}
		for _, un := range units {
			if _, err := Parse(un.Name, []byte(un.Content)); err != nil {
				t.Fatalf("generated unit does not parse: %v\n%s", err, un.Content)
			}
		}
		if ws, err := SplitWords(s); err == nil {
			back, err := SplitWords(JoinWords(ws))
			if err != nil || len(back) != len(ws) {
				t.Fatalf("JoinWords(%q) does not split back: %q %v", ws, back, err)
			}
		}
	})
}
