package image

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/types"
)

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{-1: "0B", 0: "0B", 512: "512B", 1024: "1.0KiB", 3565158: "3.4MiB", 5 << 30: "5.0GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestBlobBarLine(t *testing.T) {
	b := &blobBar{kind: "blob", digest: "sha256:abc123def456", total: 2048, cur: 1024}
	l := b.line(time.Second)
	for _, want := range []string{"Copying blob sha256:abc123def456 [", "1.0KiB / 2.0KiB", "1.0KiB/s", "ETA 1s"} {
		if !strings.Contains(l, want) {
			t.Errorf("line %q lacks %q", l, want)
		}
	}
	b.state = finished
	if l := b.line(0); l != "Copying blob sha256:abc123def456 done  1.0KiB" {
		t.Errorf("done line %q", l)
	}
	b.state = skipped
	if l := b.line(0); l != "Copying blob sha256:abc123def456 skipped: already exists" {
		t.Errorf("skipped line %q", l)
	}
}

// Off a terminal: a start and a done line per blob, in the order c/image
// reported them, with its own lines other than "Copying" kept.
func TestCopyOptionsLines(t *testing.T) {
	var buf bytes.Buffer
	opts, done := CopyOptions(&buf)
	blob := types.BlobInfo{Digest: digest.FromString("layer"), Size: 3565158, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip"}
	cfg := types.BlobInfo{Digest: digest.FromString("config"), Size: 100, MediaType: "application/vnd.oci.image.config.v1+json"}
	other := types.BlobInfo{Digest: digest.FromString("other"), Size: 10}
	fmt.Fprintf(opts.ReportWriter, "Getting image source signatures\nCopying blob %s\n", blob.Digest)
	opts.Progress <- types.ProgressProperties{Event: types.ProgressEventNewArtifact, Artifact: blob}
	opts.Progress <- types.ProgressProperties{Event: types.ProgressEventRead, Artifact: blob, Offset: 100}
	opts.Progress <- types.ProgressProperties{Event: types.ProgressEventDone, Artifact: blob, Offset: 3565158}
	opts.Progress <- types.ProgressProperties{Event: types.ProgressEventSkipped, Artifact: other}
	fmt.Fprintf(opts.ReportWriter, "Copying config %s\n", cfg.Digest)
	opts.Progress <- types.ProgressProperties{Event: types.ProgressEventNewArtifact, Artifact: cfg}
	opts.Progress <- types.ProgressProperties{Event: types.ProgressEventDone, Artifact: cfg, Offset: 100}
	fmt.Fprint(opts.ReportWriter, "Writing manifest ")
	fmt.Fprint(opts.ReportWriter, "to image destination\n")
	done()
	short := func(d digest.Digest) string { return d.String()[:len("sha256:")+12] }
	want := strings.Join([]string{
		"Getting image source signatures",
		"Copying blob " + short(blob.Digest),
		"Copying blob " + short(blob.Digest) + " done  3.4MiB",
		"Copying blob " + short(other.Digest) + " skipped: already exists",
		"Copying config " + short(cfg.Digest),
		"Copying config " + short(cfg.Digest) + " done  100B",
		"Writing manifest to image destination",
	}, "\n") + "\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestCopyOptionsQuiet(t *testing.T) {
	opts, done := CopyOptions(nil)
	done()
	if opts.ReportWriter != nil || opts.Progress != nil {
		t.Errorf("quiet options report: %+v", opts)
	}
}
