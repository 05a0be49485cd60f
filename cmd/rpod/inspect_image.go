package main

import (
	"time"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/image"
)

func init() {
	register(newInspectCmd)
	registerImage(newImageInspectCmd)
}

// imageData is podman's `image inspect` JSON, for the fields rpod has.
type imageData struct {
	ID           string            `json:"Id"`
	Digest       string            `json:"Digest"`
	RepoTags     []string          `json:"RepoTags"`
	RepoDigests  []string          `json:"RepoDigests"`
	Parent       string            `json:"Parent"`
	Comment      string            `json:"Comment"`
	Created      *time.Time        `json:"Created"`
	Config       *v1.ImageConfig   `json:"Config"`
	Version      string            `json:"Version"`
	Author       string            `json:"Author"`
	Architecture string            `json:"Architecture"`
	Os           string            `json:"Os"`
	Size         int64             `json:"Size"`
	VirtualSize  int64             `json:"VirtualSize"`
	GraphDriver  graphDriver       `json:"GraphDriver"`
	RootFS       rootFS            `json:"RootFS"`
	Labels       map[string]string `json:"Labels"`
	Annotations  map[string]string `json:"Annotations,omitempty"`
	ManifestType string            `json:"ManifestType"`
	User         string            `json:"User"`
	History      []v1.History      `json:"History"`
	NamesHistory []string          `json:"NamesHistory"`
}

// Id is ID for templates written for docker and podman, whose {{.Id}}
// names the JSON's key.
func (d *imageData) Id() string { return d.ID }

type graphDriver struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

type rootFS struct {
	Type   string          `json:"Type"`
	Layers []digest.Digest `json:"Layers"`
}

func newImageInspectCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [flags] IMAGE [IMAGE...]",
		Short: "Show the configuration of images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspectObjects(cmd, args, format, "image")
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "a Go template such as {{.Id}}, or json")
	return cmd
}

// newInspectCmd is `rpod inspect`: a container first, then an image, as podman.
func newInspectCmd() *cobra.Command {
	var format, typ string
	cmd := &cobra.Command{
		Use:   "inspect [flags] NAME [NAME...]",
		Short: "Show the configuration of containers or images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspectObjects(cmd, args, format, typ)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "a Go template such as {{.Id}}, or json")
	cmd.Flags().StringVarP(&typ, "type", "t", "all", "the type of object: container, image or all")
	return cmd
}

func inspectData(cmd *cobra.Command, store cstorage.Store, img *cstorage.Image) (*imageData, error) {
	det, err := image.Details(cmd.Context(), store, img)
	if err != nil {
		return nil, err
	}
	cfg := det.Config
	size := image.Size(store, img)
	d := &imageData{
		ID:           img.ID,
		Digest:       img.Digest.String(),
		RepoTags:     nonNil(img.Names),
		RepoDigests:  repoDigests(img.Names, digestStrings(img.Digests)),
		Created:      cfg.Created,
		Config:       &cfg.Config,
		Author:       cfg.Author,
		Architecture: cfg.Architecture,
		Os:           cfg.OS,
		Size:         size,
		VirtualSize:  size,
		GraphDriver:  graphDriver{Name: store.GraphDriverName()},
		RootFS:       rootFS{Type: cfg.RootFS.Type, Layers: cfg.RootFS.DiffIDs},
		Labels:       cfg.Config.Labels,
		ManifestType: det.ManifestType,
		User:         cfg.Config.User,
		History:      cfg.History,
		NamesHistory: nonNil(img.NamesHistory),
	}
	if d.Created == nil {
		t := img.Created
		d.Created = &t
	}
	if n := len(cfg.History); n > 0 {
		d.Comment = cfg.History[n-1].Comment
	}
	if d.History == nil {
		d.History = []v1.History{}
	}
	return d, nil
}

func digestStrings(ds []digest.Digest) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}
