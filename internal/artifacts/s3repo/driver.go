package s3repo

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/semaflow/semaflow/internal/artifacts"
)

// MaxObjects bounds a directory saved or loaded object by object (an
// artifact with archive none); an archived directory is one object.
const MaxObjects = 10000

// Save stores the file or directory src under key. A directory is stored
// as one object per file under key/, as Argo does for archive: none.
func (d *Driver) Save(ctx context.Context, key, src string) error {
	key, err := cleanKey(key)
	if err != nil {
		return err
	}
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if d.cfg.CreateBucket {
		if err := d.ensureBucket(ctx); err != nil {
			return err
		}
	}
	if !st.IsDir() {
		if _, err := d.client.FPutObject(ctx, d.cfg.Bucket, key, src, minio.PutObjectOptions{}); err != nil {
			return d.wrap("saving", key, err)
		}
		return nil
	}
	n := 0
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if !e.Type().IsRegular() {
			return nil // links and devices are not content; Argo skips them too
		}
		if n++; n > MaxObjects {
			return fmt.Errorf("saving %s to %s: the directory has over %d files; archive it (the default, tar+gzip)", key, d.Where(), MaxObjects)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		k := key + "/" + filepath.ToSlash(rel)
		if _, err := d.client.FPutObject(ctx, d.cfg.Bucket, k, p, minio.PutObjectOptions{}); err != nil {
			return d.wrap("saving", k, err)
		}
		return nil
	})
}

// ensureBucket makes the bucket if it does not exist.
func (d *Driver) ensureBucket(ctx context.Context) error {
	ok, err := d.client.BucketExists(ctx, d.cfg.Bucket)
	if err == nil && !ok {
		err = d.client.MakeBucket(ctx, d.cfg.Bucket, minio.MakeBucketOptions{Region: d.cfg.Region})
		if r := minio.ToErrorResponse(err); r.Code == "BucketAlreadyOwnedByYou" || r.Code == "BucketAlreadyExists" {
			err = nil
		}
	}
	if err != nil {
		return d.wrap("making bucket", d.cfg.Bucket, err)
	}
	return nil
}

// Load writes the object key to the file dst or, when key names a
// directory of objects (key/...), the objects under dst.
func (d *Driver) Load(ctx context.Context, key, dst string) error {
	key, err := cleanKey(key)
	if err != nil {
		return err
	}
	_, err = d.client.StatObject(ctx, d.cfg.Bucket, key, minio.StatObjectOptions{})
	switch {
	case err == nil:
		return d.get(ctx, key, dst)
	case !isNotFound(err):
		return d.wrap("loading", key, err)
	}
	objs, err := d.list(ctx, key)
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		return fmt.Errorf("loading %s from %s: %w", key, d.Where(), artifacts.ErrNotFound)
	}
	for _, ob := range objs {
		o := ob.key
		rel := strings.TrimPrefix(o, key+"/")
		if rel == "" || strings.HasSuffix(rel, "/") {
			continue // a directory marker
		}
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			return fmt.Errorf("loading %s from %s: object %q would be written outside the artifact's path", key, d.Where(), o)
		}
		if err := d.get(ctx, o, filepath.Join(dst, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	return nil
}

// get downloads one object to dst through a temporary file, so a failed
// download leaves no partial file behind.
func (d *Driver) get(ctx context.Context, key, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	tmp := dst + ".part"
	if err := d.client.FGetObject(ctx, d.cfg.Bucket, key, tmp, minio.GetObjectOptions{}); err != nil {
		_ = os.Remove(tmp)
		return d.wrap("loading", key, err)
	}
	return os.Rename(tmp, dst)
}

// Delete removes the object key, or every object under key/. A key that
// is already gone is not an error (deleting twice is harmless).
func (d *Driver) Delete(ctx context.Context, key string) error {
	key, err := cleanKey(key)
	if err != nil {
		return err
	}
	if err := d.client.RemoveObject(ctx, d.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return d.wrap("deleting", key, err)
	}
	objs, err := d.list(ctx, key)
	if err != nil {
		return err
	}
	for _, ob := range objs {
		o := ob.key
		if err := d.client.RemoveObject(ctx, d.cfg.Bucket, o, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
			return d.wrap("deleting", o, err)
		}
	}
	return nil
}

// Stat implements artifacts.Driver: an object, or a tree of objects.
func (d *Driver) Stat(ctx context.Context, key string) (artifacts.Info, error) {
	key, err := cleanKey(key)
	if err != nil {
		return artifacts.Info{}, err
	}
	st, err := d.client.StatObject(ctx, d.cfg.Bucket, key, minio.StatObjectOptions{})
	switch {
	case err == nil:
		return artifacts.Info{Size: st.Size}, nil
	case !isNotFound(err):
		return artifacts.Info{}, d.wrap("looking up", key, err)
	}
	objs, err := d.list(ctx, key)
	if err != nil {
		return artifacts.Info{}, err
	}
	if len(objs) == 0 {
		return artifacts.Info{}, fmt.Errorf("looking up %s at %s: %w", key, d.Where(), artifacts.ErrNotFound)
	}
	info := artifacts.Info{Dir: true}
	for _, o := range objs {
		info.Size += o.size
	}
	return info, nil
}

// list names the objects under key/, at most MaxObjects of them.
func (d *Driver) list(ctx context.Context, key string) ([]object, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when we stop early
	var out []object
	for o := range d.client.ListObjects(ctx, d.cfg.Bucket, minio.ListObjectsOptions{Prefix: key + "/", Recursive: true}) {
		if o.Err != nil {
			if isNotFound(o.Err) {
				return nil, nil
			}
			return nil, d.wrap("listing", key+"/", o.Err)
		}
		if len(out) == MaxObjects {
			return nil, fmt.Errorf("listing %s/ in %s: over %d objects", key, d.Where(), MaxObjects)
		}
		out = append(out, object{key: o.Key, size: o.Size})
	}
	return out, nil
}

// object is one listed object.
type object struct {
	key  string
	size int64
}

// cleanKey drops a leading slash (as Argo does: "/a/b" and "a/b" are the
// same object) and refuses what no repository accepts.
func cleanKey(key string) (string, error) {
	k := strings.TrimSuffix(strings.TrimLeft(key, "/"), "/")
	if err := artifacts.CheckKey(k); err != nil {
		return "", err
	}
	return path.Clean(k), nil
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == minio.NoSuchKey || r.Code == minio.NoSuchBucket || r.StatusCode == 404
}

// wrap names what failed, where and why, in the words a user can act on.
func (d *Driver) wrap(doing, key string, err error) error {
	r := minio.ToErrorResponse(err)
	switch {
	case r.Code == minio.NoSuchKey:
		return fmt.Errorf("%s %s at %s: %w", doing, key, d.Where(), artifacts.ErrNotFound)
	case r.Code == minio.NoSuchBucket:
		return fmt.Errorf("%s %s at %s: bucket %q does not exist", doing, key, d.Where(), d.cfg.Bucket)
	case r.Code == "AccessDenied" || r.Code == "InvalidAccessKeyId" || r.Code == "SignatureDoesNotMatch":
		return fmt.Errorf("%s %s at %s: access denied (%s): check accessKeySecret and secretKeySecret", doing, key, d.Where(), r.Code)
	case r.Code != "":
		return fmt.Errorf("%s %s at %s: %s: %s", doing, key, d.Where(), r.Code, r.Message)
	}
	return fmt.Errorf("%s %s at %s: %w (after up to %d attempts)", doing, key, d.Where(), err, Attempts)
}

var _ artifacts.Driver = (*Driver)(nil)
