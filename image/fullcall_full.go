//go:build !rpodlight

package image

import (
	"context"
	"fmt"
	"io"
	"os"

	cstorage "go.podman.io/storage"
)

// ServeFullCall makes call in this (full) rpod, its progress on standard
// error when asked.
func ServeFullCall(ctx context.Context, store cstorage.Store, call FullCall) FullResult {
	var report io.Writer
	if call.Report {
		report = os.Stderr
	}
	var imgs []*cstorage.Image
	var err error
	switch call.Op {
	case "pull":
		var img *cstorage.Image
		img, err = Pull(ctx, store, call.Sys, call.Name, PullOptions{Report: report, Retry: call.Retry})
		imgs = append(imgs, img)
	case "copyin":
		imgs, err = CopyIn(ctx, store, call.Sys, call.Name, report)
	default:
		err = fmt.Errorf("unknown call %q", call.Op)
	}
	if err != nil {
		return FullResult{Err: err.Error()}
	}
	var r FullResult
	for _, img := range imgs {
		r.Images = append(r.Images, *img)
	}
	return r
}
