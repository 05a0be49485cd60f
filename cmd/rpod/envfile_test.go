package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	lookup := func(k string) (string, bool) {
		if k == "SET" {
			return "from-rpod", true
		}
		return "", false
	}
	for _, tc := range []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{name: "empty", in: "", want: []string{}},
		{name: "pairs", in: "A=1\nB=two words\n", want: []string{"A=1", "B=two words"}},
		{name: "comments and blanks", in: "# c\n\n   \n  # indented\nA=1\n", want: []string{"A=1"}},
		{name: "bare key from env", in: "SET\nUNSET\n", want: []string{"SET=from-rpod"}},
		{name: "value keeps = and #", in: "A=b=c#d\n", want: []string{"A=b=c#d"}},
		{name: "empty value", in: "A=\n", want: []string{"A="}},
		{name: "crlf", in: "A=1\r\n", want: []string{"A=1"}},
		{name: "leading blanks trimmed", in: "  A=1\n", want: []string{"A=1"}},
		{name: "no final newline", in: "A=1", want: []string{"A=1"}},
		{name: "empty name", in: "=v\n", wantErr: "line 1: invalid entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEnvFile(strings.NewReader(tc.in), lookup)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\n# c\n\nB\n", "=x", "  C=d\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseEnvFile(strings.NewReader(in), func(string) (string, bool) { return "v", true })
		if err != nil {
			return
		}
		for _, kv := range got {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || k == "" || strings.HasPrefix(k, "#") || strings.ContainsAny(k, "\n") {
				t.Fatalf("entry %q from %q", kv, in)
			}
		}
	})
}

func TestUserConfig(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/labels"
	if err := writeFile(file, "# team\nteam=storage\nbare\nk=from-file\n"); err != nil {
		t.Fatal(err)
	}
	u, err := userConfig(&runFlags{labels: []string{"k=flag", "x=1=2"}, labelFiles: []string{file}, annotations: []string{"a=b"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"team": "storage", "bare": "", "k": "flag", "x": "1=2"}
	if !reflect.DeepEqual(u.Labels, want) || !reflect.DeepEqual(u.Annotations, map[string]string{"a": "b"}) {
		t.Errorf("labels %v annotations %v", u.Labels, u.Annotations)
	}
	for _, f := range []runFlags{{labels: []string{"=v"}}, {annotations: []string{"noequals"}}, {labelFiles: []string{dir + "/missing"}}} {
		if _, err := userConfig(&f); err == nil {
			t.Errorf("%+v: accepted", f)
		}
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }
