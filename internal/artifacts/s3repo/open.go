package s3repo

import (
	"context"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"

	"github.com/semaflow/semaflow/internal/artifacts"
)

// Open implements artifacts.Opener: the object streams from S3 as the
// caller reads it.
func (d *Driver) Open(ctx context.Context, key string) (io.ReadCloser, artifacts.Info, error) {
	key, err := cleanKey(key)
	if err != nil {
		return nil, artifacts.Info{}, err
	}
	obj, err := d.client.GetObject(ctx, d.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, artifacts.Info{}, d.wrap("opening", key, err)
	}
	// GetObject sends nothing until asked: Stat is the request that
	// says whether the object is there.
	st, err := obj.Stat()
	if err == nil {
		return obj, artifacts.Info{Size: st.Size}, nil
	}
	_ = obj.Close()
	if !isNotFound(err) {
		return nil, artifacts.Info{}, d.wrap("opening", key, err)
	}
	objs, lerr := d.list(ctx, key)
	if lerr != nil {
		return nil, artifacts.Info{}, lerr
	}
	if len(objs) > 0 {
		return nil, artifacts.Info{}, fmt.Errorf("opening %s at %s: %w", key, d.Where(), artifacts.ErrIsTree)
	}
	return nil, artifacts.Info{}, fmt.Errorf("opening %s at %s: %w", key, d.Where(), artifacts.ErrNotFound)
}

// List implements artifacts.Lister: key itself for one object, else the
// keys of the objects under key/ (ListObjects gives them sorted).
func (d *Driver) List(ctx context.Context, key string) ([]string, error) {
	key, err := cleanKey(key)
	if err != nil {
		return nil, err
	}
	if _, err := d.client.StatObject(ctx, d.cfg.Bucket, key, minio.StatObjectOptions{}); err == nil {
		return []string{key}, nil
	} else if !isNotFound(err) {
		return nil, d.wrap("listing", key, err)
	}
	objs, err := d.list(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("listing %s at %s: %w", key, d.Where(), artifacts.ErrNotFound)
	}
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		if o.key != key+"/" {
			out = append(out, o.key)
		}
	}
	return out, nil
}

var (
	_ artifacts.Opener = (*Driver)(nil)
	_ artifacts.Lister = (*Driver)(nil)
)
