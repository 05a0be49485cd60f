//go:build rpodlight

package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/internal/fullrpod"
)

// A light build (rpodlight) has none of containers/image's transfer code:
// Pull and CopyIn run in the full rpod it carries, as a child; the other
// transfer calls return ErrFullOnly, their commands being run by the full
// rpod as a whole (cmd/rpod's fullCommand).

// Pull is the full build's Pull, made by the full rpod in a child.
func Pull(ctx context.Context, store cstorage.Store, sys *types.SystemContext, name string, o PullOptions) (*cstorage.Image, error) {
	imgs, err := callFull(ctx, FullCall{Op: "pull", Name: name, Sys: sys, Retry: o.Retry, Report: o.Report != nil}, o.Report)
	if err != nil {
		return nil, err
	}
	if len(imgs) != 1 {
		return nil, fmt.Errorf("pull %s: the full rpod returned %d images", name, len(imgs))
	}
	return imgs[0], nil
}

// CopyIn is the full build's CopyIn, made by the full rpod in a child.
func CopyIn(ctx context.Context, store cstorage.Store, sys *types.SystemContext, ref string, report io.Writer) ([]*cstorage.Image, error) {
	return callFull(ctx, FullCall{Op: "copyin", Name: ref, Sys: sys, Report: report != nil}, report)
}

// HasTransport is the full build's, by the names of its transports.
func HasTransport(name string) bool {
	t, _, ok := strings.Cut(name, ":")
	return ok && slices.Contains(transportNames, t)
}

// callFull has the full rpod make call and returns the records of the
// images it left in the store, as it found them; its progress goes to
// report (nil: none).
func callFull(ctx context.Context, call FullCall, report io.Writer) ([]*cstorage.Image, error) {
	req, err := json.Marshal(struct {
		FullCall
		Sys map[string]any `json:"sys"`
	}{call, sysFields(call.Sys)})
	if err != nil {
		return nil, err
	}
	var args []string
	if FullArgs != nil {
		args = FullArgs()
	}
	cmd, done, err := fullrpod.Command(ctx, append(args, FullCallCommand)...)
	if err != nil {
		return nil, err
	}
	defer done()
	cmd.Env = append(os.Environ(), FullCallEnv+"="+string(req))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = report // os.Stderr itself, when it is: a terminal keeps its progress bars
	runErr := cmd.Run()
	var r FullResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		if runErr != nil {
			return nil, fmt.Errorf("%s %s in the full rpod: %w", call.Op, call.Name, runErr)
		}
		return nil, fmt.Errorf("%s %s in the full rpod: unreadable answer: %w", call.Op, call.Name, err)
	}
	if r.Err != "" {
		return nil, errors.New(r.Err)
	}
	imgs := make([]*cstorage.Image, len(r.Images))
	for i := range r.Images {
		imgs[i] = &r.Images[i]
	}
	return imgs, nil
}

// sysFields are sys's set fields, by name, as FullCall's JSON carries
// them: a function, a TLS config and interface values do not go through
// JSON, and only save and push set them.
func sysFields(sys *types.SystemContext) map[string]any {
	m := map[string]any{}
	if sys == nil {
		return m
	}
	v := reflect.ValueOf(sys).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		switch f.Name {
		case "DockerProxy", "BaseTLSConfig", "DockerArchiveAdditionalTags", "CompressionFormat":
			continue
		}
		if f.IsExported() && !v.Field(i).IsZero() {
			m[f.Name] = v.Field(i).Interface()
		}
	}
	return m
}

// ServeFullCall is only made by a full rpod.
func ServeFullCall(ctx context.Context, store cstorage.Store, call FullCall) FullResult {
	return FullResult{Err: ErrFullOnly.Error()}
}

// Login is the full rpod's: cmd/rpod runs login there.
func Login(ctx context.Context, sys *types.SystemContext, key, user, password string) (string, error) {
	return "", ErrFullOnly
}

// Logout is the full rpod's: cmd/rpod runs logout there.
func Logout(sys *types.SystemContext, key string) error { return ErrFullOnly }

// Commit is the full rpod's: cmd/rpod runs commit there.
func Commit(ctx context.Context, store, layers cstorage.Store, baseID, layerID string, o CommitOptions) (*cstorage.Image, error) {
	return nil, ErrFullOnly
}

// SpoolToFile is the full rpod's: cmd/rpod runs load and import there.
func SpoolToFile(sys *types.SystemContext, r io.Reader, pattern string) (string, error) {
	return "", ErrFullOnly
}

// Save is the full rpod's: cmd/rpod runs save there.
func Save(ctx context.Context, store cstorage.Store, sys *types.SystemContext, names []string, o SaveOptions) error {
	return ErrFullOnly
}

// Push is the full rpod's: cmd/rpod runs push there.
func Push(ctx context.Context, store cstorage.Store, sys *types.SystemContext, src, dest string, o PushOptions) error {
	return ErrFullOnly
}

// Load is the full rpod's: cmd/rpod runs load there.
func Load(ctx context.Context, store cstorage.Store, sys *types.SystemContext, file string, report io.Writer) ([]Loaded, error) {
	return nil, ErrFullOnly
}

// Import is the full rpod's: cmd/rpod runs import there.
func Import(ctx context.Context, store cstorage.Store, sys *types.SystemContext, source string, stdin io.Reader, o ImportOptions) (*cstorage.Image, error) {
	return nil, ErrFullOnly
}
