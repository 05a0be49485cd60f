package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// layerVerdict is what a scan of a layer's tar stream found: fatal is a
// reason the store cannot extract the layer, suspect an oddity it extracts
// safely (inside the layer) that is worth naming when nothing fatal is found.
type layerVerdict struct {
	fatal   string
	suspect string
}

// extractable are the tar entry types containers/storage extracts (device
// nodes are skipped rootless); archive/tar itself consumes the PAX 'x' and
// GNU long-name headers and turns the old regular type '\x00' into '0'.
var extractable = map[byte]bool{
	tar.TypeReg: true, tar.TypeDir: true, tar.TypeSymlink: true, tar.TypeLink: true,
	tar.TypeChar: true, tar.TypeBlock: true, tar.TypeFifo: true, tar.TypeXGlobalHeader: true,
}

// typeNames are the tar types a hostile or exotic layer may carry that the store refuses.
var typeNames = map[byte]string{
	tar.TypeGNUSparse: "an old GNU sparse file",
	tar.TypeCont:      "a contiguous file",
	'D':               "a GNU dump directory",
	'V':               "a GNU volume header",
	'M':               "a GNU multi-volume continuation",
	'N':               "an old GNU long-name record",
}

// diagnoseLayer reads an uncompressed layer tar to its end and says why the
// store would refuse it: an entry type it cannot extract, a hard link
// whose target leaves the layer or is not an earlier entry of it, or a
// stream that is not tar. An error is returned only when r fails.
func diagnoseLayer(r io.Reader) (layerVerdict, error) {
	var v layerVerdict
	seen := map[string]bool{}
	src := &failReader{r: r}
	tr := tar.NewReader(src)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return v, nil
		}
		if err != nil {
			if src.err != nil && src.err != io.EOF && errors.Is(err, src.err) {
				return v, err
			}
			if v.fatal == "" {
				v.fatal = notTar(n, err)
			}
			return v, nil
		}
		name, climbs := inLayer(hdr.Name)
		if v.fatal == "" {
			v.fatal = diagnoseEntry(hdr, seen)
		}
		if v.suspect == "" && climbs {
			v.suspect = fmt.Sprintf("entry %s climbs out of the layer", quote(hdr.Name))
		}
		seen[name] = true
	}
}

// diagnoseEntry is the fatal problem of one entry, given the entries before it, or "".
func diagnoseEntry(hdr *tar.Header, seen map[string]bool) string {
	if !extractable[hdr.Typeflag] {
		what, ok := typeNames[hdr.Typeflag]
		if !ok {
			what = "an unknown kind of entry"
		}
		return fmt.Sprintf("entry %s is %s (tar type %s), which cannot be extracted", quote(hdr.Name), what, quote(string(hdr.Typeflag)))
	}
	if hdr.Typeflag != tar.TypeLink {
		return ""
	}
	switch link, climbs := inLayer(hdr.Linkname); {
	case seen[link] && !climbs:
		return ""
	case climbs || path.IsAbs(hdr.Linkname):
		return fmt.Sprintf("hard link %s points outside the layer (%s)", quote(hdr.Name), quote(hdr.Linkname))
	}
	return fmt.Sprintf("hard link %s points to %s, which is not an earlier entry of the layer", quote(hdr.Name), quote(hdr.Linkname))
}

// notTar says where and why the stream stopped being tar.
func notTar(entries int, err error) string {
	msg := strings.TrimPrefix(err.Error(), "archive/tar: ")
	if entries == 0 {
		return "not a tar archive: " + msg
	}
	return fmt.Sprintf("not a valid tar archive after %d entries: %s", entries, msg)
}

// inLayer is p as a path from the layer's root, the key of the seen entries,
// and whether p climbs out of it: the store cleans an absolute path from the
// root, where ".." stops, so only a relative one climbs.
func inLayer(p string) (name string, climbs bool) {
	name, inside := inRoot(p)
	return name, !inside && !path.IsAbs(p)
}

// quote is %q of a name from a layer, cut so that a hostile one keeps the error to a line.
func quote(s string) string {
	const max = 160
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// failReader remembers r's failure, to tell a broken download from a broken tar stream.
type failReader struct {
	r   io.Reader
	err error
}

func (f *failReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil {
		f.err = err
	}
	return n, err
}
