package image

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func TestParseLayerErr(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	diff := "sha256:" + strings.Repeat("cd", 32)
	for _, c := range []struct {
		err   string
		layer string
		clean string
	}{
		{`writing blob: adding layer with blob "` + d + `"/""/"` + diff + `": unpacking failed (error: exit status 1; output: no such file or directory)`, d, "unpacking failed: no such file or directory"},
		{`writing blob: adding layer with blob "` + d + `"/""/"` + diff + `": ApplyLayer stdout:  stderr: unhandled tar header type 83 exit status 1`, d, "unhandled tar header type 83"},
		{`writing blob: adding layer with blob "` + d + `"/""/"` + diff + `": ApplyLayer stdout: out stderr:  exit status 1`, d, "out"},
		{`writing blob: adding layer with blob "` + d + `"/"` + diff + `"/"": some other cause`, d, "some other cause"},
		{`writing blob: adding layer with blob "` + d + `"/""/"": multi
line cause`, d, "multi line cause"},
		{`writing blob: adding layer with blob "sha256:123"/""/"": bad digest`, "", ""},
		{`reading blob: connection refused`, "", ""},
	} {
		layer, cause, ok := parseLayerErr(errors.New(c.err))
		if c.layer == "" {
			if ok {
				t.Errorf("%q: found layer %s, want none", c.err, layer)
			}
			continue
		}
		if !ok || string(layer) != c.layer || cleanCause(cause) != c.clean {
			t.Errorf("%q:\n got  %v %s %q\n want %s %q", c.err, ok, layer, cleanCause(cause), c.layer, c.clean)
		}
	}
}

func TestExplainRefusalKeepsOtherErrors(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for _, err := range []error{
		errors.New("reading manifest: manifest unknown"),
		fmt.Errorf(`writing blob: adding layer with blob "%s"/""/"": %w`, d, syscall.ENOSPC),
		fmt.Errorf(`writing blob: adding layer with blob "%s"/""/"": unpacking failed (error: exit status 1; output: write /x: disk quota exceeded)`, d),
	} {
		if got := explainRefusal(t.Context(), nil, nil, "img", err); got != err {
			t.Errorf("%v: became %v", err, got)
		}
	}
}

func TestRefusedErrorLine(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	base := fmt.Errorf(`writing blob: adding layer with blob "%s"/""/"": %w`, d, syscall.EIO)
	e := &RefusedError{Image: "127.0.0.1:5000/evil-hardlink:latest", Layer: digest.Digest("sha256:" + digestHex), Reason: `hard link "hl" points outside the layer ("../../etc/passwd")`, Err: base}
	want := `image 127.0.0.1:5000/evil-hardlink:latest refused: layer sha256:` + digestHex + `: hard link "hl" points outside the layer ("../../etc/passwd")`
	if e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}
	if !errors.Is(e, syscall.EIO) {
		t.Error("the store's error is not kept")
	}
}

var digestHex = strings.Repeat("e", 64)
