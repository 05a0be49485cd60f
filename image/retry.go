//go:build !rpodlight

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"go.podman.io/image/v5/docker"
)

// Do runs op until it succeeds, fails for good, or has been tried
// r.Attempts times; each retry is announced on report.
func (r Retry) Do(ctx context.Context, report io.Writer, op func() error) error {
	delay := r.Delay
	var err error
	for attempt := 1; ; attempt++ {
		if err = op(); err == nil || !transient(err) {
			return err
		}
		if attempt >= r.Attempts {
			if r.Attempts > 1 {
				return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return err
		}
		if report != nil {
			fmt.Fprintf(report, "Retrying in %s (attempt %d of %d): %v\n", delay, attempt+1, r.Attempts, oneLine(err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (while waiting to retry after: %v)", ctx.Err(), err)
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// transient reports whether trying again may help: the registry failed
// (5xx), asked us to slow down (429), or the connection broke midway. A
// refused connection is not retried: a registry that is down or a mistyped
// address should be said at once.
func transient(err error) bool {
	var status docker.UnexpectedHTTPStatusError
	if errors.As(err, &status) {
		return status.StatusCode >= 500 || status.StatusCode == 429
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
