package image

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/manifest"
	cstorage "go.podman.io/storage"
)

// TestReadConfigFromTheStore: the config ReadConfig reads straight from
// the store is the one containers/image gives for an OCI and a Docker
// schema 2 image; a manifest it does not read (schema 1) goes through
// containers/image.
func TestReadConfigFromTheStore(t *testing.T) {
	dir := t.TempDir()
	store, err := cstorage.GetStore(cstorage.StoreOptions{
		GraphRoot: filepath.Join(dir, "graph"), RunRoot: filepath.Join(dir, "run"), GraphDriverName: "vfs",
	})
	if err != nil {
		t.Skipf("vfs store: %v", err)
	}
	defer store.Shutdown(true)
	cb := []byte(`{"architecture":"amd64","os":"linux","config":{"User":"1000:1000","Env":["PATH=/bin","A=b"],` +
		`"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"WorkingDir":"/w","StopSignal":"SIGHUP",` +
		`"ExposedPorts":{"80/tcp":{},"53/udp":{}},"Healthcheck":{"Test":["CMD","true"]}},"rootfs":{"type":"layers","diff_ids":[]}}`)
	cd := digest.FromBytes(cb)
	manifests := map[string]any{
		"oci": imgspecv1.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: imgspecv1.MediaTypeImageManifest,
			Config: imgspecv1.Descriptor{MediaType: imgspecv1.MediaTypeImageConfig, Digest: cd, Size: int64(len(cb))}, Layers: []imgspecv1.Descriptor{}},
		"schema2": map[string]any{"schemaVersion": 2, "mediaType": manifest.DockerV2Schema2MediaType,
			"config": map[string]any{"mediaType": manifest.DockerV2Schema2ConfigMediaType, "digest": cd, "size": len(cb)}, "layers": []any{}},
	}
	for name, m := range manifests {
		t.Run(name, func(t *testing.T) {
			mb, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			md := digest.FromBytes(mb)
			img, err := store.CreateImage("", []string{"localhost/" + name + ":latest"}, "", "", &cstorage.ImageOptions{
				Digest: md,
				BigData: []cstorage.ImageBigDataOption{
					{Key: cd.String(), Data: cb, Digest: cd},
					{Key: "manifest-" + md.String(), Data: mb, Digest: md},
					{Key: cstorage.ImageDigestBigDataKey, Data: mb, Digest: md},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			blob, oci, ok := storedConfig(store, img)
			if !ok {
				t.Fatal("not read from the store")
			}
			cblob, coci, err := convertedConfig(context.Background(), store, img)
			if err != nil {
				t.Fatal(err)
			}
			if string(blob) != string(cblob) || !reflect.DeepEqual(oci, coci) {
				t.Errorf("from the store:\n%s\n%+v\nthrough containers/image:\n%s\n%+v", blob, oci, cblob, coci)
			}
			c, err := ReadConfig(context.Background(), store, img)
			if err != nil {
				t.Fatal(err)
			}
			if c.User != "1000:1000" || c.StopSignal != "SIGHUP" || !reflect.DeepEqual(c.ExposedPorts, []string{"53/udp", "80/tcp"}) || c.WorkingDir != "/w" {
				t.Errorf("ReadConfig: %+v", c)
			}
		})
	}
	// Schema 1 carries no config blob: storedConfig leaves it alone.
	s1 := []byte(`{"schemaVersion":1,"name":"x","tag":"latest","architecture":"amd64","fsLayers":[],"history":[]}`)
	img, err := store.CreateImage("", nil, "", "", &cstorage.ImageOptions{
		BigData: []cstorage.ImageBigDataOption{{Key: cstorage.ImageDigestBigDataKey, Data: s1, Digest: digest.FromBytes(s1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := storedConfig(store, img); ok {
		t.Error("a schema 1 manifest was read as if it had a config blob")
	}
	// A config stored under its digest with other bytes is not trusted.
	bad := []byte(`{"config":{"User":"evil"}}`)
	mb, _ := json.Marshal(manifests["oci"])
	img, err = store.CreateImage("", nil, "", "", &cstorage.ImageOptions{
		BigData: []cstorage.ImageBigDataOption{
			{Key: cd.String(), Data: bad, Digest: cd},
			{Key: cstorage.ImageDigestBigDataKey, Data: mb, Digest: digest.FromBytes(mb)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := storedConfig(store, img); ok {
		t.Error("a config whose bytes do not match its digest was read")
	}
}
