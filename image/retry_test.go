package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.podman.io/image/v5/docker"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{docker.UnexpectedHTTPStatusError{StatusCode: 500}, true},
		{fmt.Errorf("reading manifest: %w", docker.UnexpectedHTTPStatusError{StatusCode: 503}), true},
		{docker.UnexpectedHTTPStatusError{StatusCode: 429}, true},
		{docker.UnexpectedHTTPStatusError{StatusCode: 404}, false},
		{docker.UnexpectedHTTPStatusError{StatusCode: 401}, false},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), false},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{io.ErrUnexpectedEOF, true},
		{errors.New("manifest unknown"), false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRetryDo(t *testing.T) {
	r := Retry{Attempts: 3, Delay: time.Millisecond}
	fail500 := docker.UnexpectedHTTPStatusError{StatusCode: 500}

	calls := 0
	var report bytes.Buffer
	err := r.Do(context.Background(), &report, func() error {
		calls++
		if calls < 3 {
			return fail500
		}
		return nil
	})
	if err != nil || calls != 3 || strings.Count(report.String(), "Retrying in") != 2 {
		t.Errorf("recovering op: err %v, %d calls, report %q", err, calls, report.String())
	}

	calls = 0
	err = r.Do(context.Background(), nil, func() error { calls++; return fail500 })
	if calls != 3 || err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("failing op: err %v after %d calls", err, calls)
	}

	calls = 0
	err = r.Do(context.Background(), nil, func() error { calls++; return errors.New("manifest unknown") })
	if calls != 1 || err == nil || strings.Contains(err.Error(), "attempts") {
		t.Errorf("permanent error retried: %d calls, %v", calls, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Retry{Attempts: 3, Delay: time.Hour}.Do(ctx, nil, func() error { return fail500 })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}
