package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// ent is one entry of a test layer; typ is patched into the header after
// archive/tar wrote it, for the types it refuses to write.
type ent struct {
	typ  byte
	name string
	link string
}

// diagTar builds an uncompressed layer of ents.
func diagTar(t testing.TB, ents ...ent) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range ents {
		h := &tar.Header{Typeflag: e.typ, Name: e.name, Linkname: e.link, Mode: 0o644, Format: tar.FormatGNU}
		patch := byte(0)
		switch e.typ {
		case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo, tar.TypeChar, tar.TypeBlock:
		default:
			patch, h.Typeflag = e.typ, tar.TypeReg
		}
		at := b.Len()
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if err := tw.Flush(); err != nil {
			t.Fatal(err)
		}
		if patch != 0 {
			setType(b.Bytes()[at:at+512], patch)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// setType rewrites a tar header block's type and checksum.
func setType(h []byte, typ byte) {
	h[156] = typ
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

func TestDiagnoseLayer(t *testing.T) {
	climb := "../../../../tmp/rpod-malicious-canary/canary"
	for _, c := range []struct {
		what          string
		layer         []byte
		fatal, suspec string
	}{
		{"plain", diagTar(t, ent{typ: tar.TypeDir, name: "etc/"}, ent{typ: tar.TypeReg, name: "etc/passwd"}, ent{typ: tar.TypeSymlink, name: "sh", link: "/bin/busybox"}), "", ""},
		{"link to an earlier entry", diagTar(t, ent{typ: tar.TypeReg, name: "bin/busybox"}, ent{typ: tar.TypeLink, name: "bin/sh", link: "bin/busybox"}), "", ""},
		{"absolute link to an earlier entry", diagTar(t, ent{typ: tar.TypeReg, name: "./bin/busybox"}, ent{typ: tar.TypeLink, name: "bin/sh", link: "/bin/busybox"}), "", ""},
		{"link climbing out", diagTar(t, ent{typ: tar.TypeLink, name: "hl", link: climb}), `hard link "hl" points outside the layer ("` + climb + `")`, ""},
		{"link climbing out to a name the layer has", diagTar(t, ent{typ: tar.TypeReg, name: "etc/passwd"}, ent{typ: tar.TypeLink, name: "hl", link: "../etc/passwd"}), `hard link "hl" points outside the layer ("../etc/passwd")`, ""},
		{"absolute link to a host file", diagTar(t, ent{typ: tar.TypeLink, name: "hlabs", link: "/tmp/rpod-malicious-canary/canary"}), `hard link "hlabs" points outside the layer ("/tmp/rpod-malicious-canary/canary")`, ""},
		{"link to a later entry", diagTar(t, ent{typ: tar.TypeLink, name: "a", link: "b"}, ent{typ: tar.TypeReg, name: "b"}), `hard link "a" points to "b", which is not an earlier entry of the layer`, ""},
		{"link inside, through ..", diagTar(t, ent{typ: tar.TypeReg, name: "a/b"}, ent{typ: tar.TypeLink, name: "c", link: "a/x/../b"}), "", ""},
		{"sparse", diagTar(t, ent{typ: tar.TypeDir, name: "big/"}, ent{typ: tar.TypeGNUSparse, name: "big/sparse"}), `entry "big/sparse" is an old GNU sparse file (tar type "S"), which cannot be extracted`, ""},
		{"contiguous", diagTar(t, ent{typ: tar.TypeCont, name: "c"}), `entry "c" is a contiguous file (tar type "7"), which cannot be extracted`, ""},
		{"unknown type", diagTar(t, ent{typ: 'Z', name: "z"}), `entry "z" is an unknown kind of entry (tar type "Z"), which cannot be extracted`, ""},
		{"dotdot entry", diagTar(t, ent{typ: tar.TypeReg, name: "../../x"}), "", `entry "../../x" climbs out of the layer`},
		{"dotdot then bad link", diagTar(t, ent{typ: tar.TypeReg, name: "a/../../x"}, ent{typ: tar.TypeLink, name: "l", link: "/nope"}), `hard link "l" points outside the layer ("/nope")`, `entry "a/../../x" climbs out of the layer`},
		{"first fatal wins", diagTar(t, ent{typ: tar.TypeLink, name: "l1", link: "/x"}, ent{typ: tar.TypeLink, name: "l2", link: "../y"}), `hard link "l1" points outside the layer ("/x")`, ""},
		{"hostile name quoted", diagTar(t, ent{typ: tar.TypeLink, name: "a\nb", link: "/x"}), `hard link "a\nb" points outside the layer ("/x")`, ""},
		{"long name cut", diagTar(t, ent{typ: tar.TypeLink, name: strings.Repeat("n", 300), link: "/x"}), `hard link "` + strings.Repeat("n", 160) + `"... points outside the layer ("/x")`, ""},
		{"empty", nil, "", ""},
		{"not tar", []byte(strings.Repeat("garbage!", 100)), "not a tar archive: invalid tar header", ""},
		{"truncated", diagTar(t, ent{typ: tar.TypeReg, name: "a"}, ent{typ: tar.TypeReg, name: "b"})[:700], "not a valid tar archive after 1 entries: unexpected EOF", ""},
	} {
		v, err := diagnoseLayer(bytes.NewReader(c.layer))
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		if v.fatal != c.fatal || v.suspect != c.suspec {
			t.Errorf("%s:\n got  fatal %q suspect %q\n want fatal %q suspect %q", c.what, v.fatal, v.suspect, c.fatal, c.suspec)
		}
	}
}

// brokenReader fails after its data, as a dropped download does.
type brokenReader struct{ r *bytes.Reader }

var errDropped = errors.New("connection reset")

func (b brokenReader) Read(p []byte) (int, error) {
	n, _ := b.r.Read(p)
	if n == 0 {
		return 0, errDropped
	}
	return n, nil
}

func TestDiagnoseLayerReadError(t *testing.T) {
	l := diagTar(t, ent{typ: tar.TypeReg, name: "a"})
	if _, err := diagnoseLayer(brokenReader{bytes.NewReader(l[:600])}); !errors.Is(err, errDropped) {
		t.Errorf("a failing reader: err %v, want %v", err, errDropped)
	}
}

// FuzzDiagnoseLayer: any byte stream is scanned without panic or error, and
// every verdict is one line.
func FuzzDiagnoseLayer(f *testing.F) {
	f.Add(diagTar(f, ent{typ: tar.TypeReg, name: "a"}, ent{typ: tar.TypeLink, name: "b", link: "a"}))
	f.Add(diagTar(f, ent{typ: tar.TypeLink, name: "hl", link: "../../etc/passwd"}))
	f.Add(diagTar(f, ent{typ: tar.TypeGNUSparse, name: "s"}))
	f.Add(diagTar(f, ent{typ: tar.TypeReg, name: "../x"}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := diagnoseLayer(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("error on an in-memory stream: %v", err)
		}
		if strings.ContainsAny(v.fatal+v.suspect, "\n\r") {
			t.Fatalf("verdict spans lines: %q %q", v.fatal, v.suspect)
		}
	})
}
