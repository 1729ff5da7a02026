// Package repos turns an artifact's location, as a manifest or a node's
// recorded outputs give it, into the driver and key that hold it: the
// engine's own repository for a key-only s3 location (Argo's default
// repository), an S3 bucket for a full one or for a workflow whose
// artifact repository (artifactRepositoryRef, the artifact-repositories
// ConfigMap) is s3, and the http and git sources of input artifacts.
package repos

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts"
	"github.com/semaflow/semaflow/internal/artifacts/fetch"
	"github.com/semaflow/semaflow/internal/artifacts/s3repo"
	"github.com/semaflow/semaflow/internal/spec"
)

// Secrets reads one key of one Secret in a namespace (credentials named
// by accessKeySecret, secretKeySecret, usernameSecret, ...).
type Secrets func(namespace, name, key string) (string, error)

// ErrNoSecret says a Secret's key is not set.
var ErrNoSecret = errors.New("secret not found")

// Locator opens the drivers of artifact locations. It is safe for
// concurrent use; S3 clients are kept per configuration.
type Locator struct {
	// Local gives the engine's repository (--artifact-repository),
	// which may be opened on first use.
	Local func() (artifacts.Driver, error)
	// Secrets reads credentials; nil knows none.
	Secrets Secrets
	// Policy checks every connection made for a workflow (S3, http, git).
	Policy fetch.Policy
	// ConfigMaps reads stored ConfigMaps, for artifact-repositories.
	ConfigMaps artifacts.GetConfigMap
	// GitUser, when set, is whom git runs as (see fetch.Git.User).
	GitUser *fetch.User
	// GitStart, when set, starts git (see fetch.Git.Start).
	GitStart func(*exec.Cmd) error

	mu      sync.Mutex
	clients map[clientKey]*s3repo.Driver
}

// clientKey is what makes two S3 clients the same (Config itself holds a
// func, so it cannot be a map key).
type clientKey struct {
	endpoint, bucket, region, access, secret, token string
	insecure, pathStyle, create                     bool
}

// maxClients bounds the S3 clients kept; past it the cache starts again.
const maxClients = 64

// Repository resolves a workflow's artifact repository as Argo does (see
// artifacts.ResolveRepository), checking that its credentials are there.
func (l *Locator) Repository(namespace string, ref *wfv1.ArtifactRepositoryRef) (*wfv1.ArtifactRepositoryRefStatus, error) {
	get := l.ConfigMaps
	if get == nil {
		get = func(string, string) (*wfv1.ConfigMap, error) { return nil, nil }
	}
	st, err := artifacts.ResolveRepository(ref, namespace, get)
	if err != nil {
		return nil, err
	}
	if r := st.ArtifactRepository; r != nil && r.S3 != nil {
		if r.S3.KeyFormat != "" || r.S3.KeyPrefix != "" {
			return nil, fmt.Errorf("artifact repository ConfigMap %s/%s key %q: keyFormat and keyPrefix are not supported: semaflow keys outputs as Argo's default, {{workflow.name}}/{{pod.name}}/NAME.tgz", namespace, st.ConfigMap, st.Key)
		}
		if _, err := l.s3Config(namespace, &r.S3.S3Artifact); err != nil {
			return nil, fmt.Errorf("artifact repository ConfigMap %s/%s key %q: %w", namespace, st.ConfigMap, st.Key, err)
		}
	}
	return st, nil
}

// Place says where an output artifact goes: the location to record in
// the node's outputs. defaultKey is the engine's key for it. An artifact
// with a full s3 location keeps it; a key-only one (or none) goes to the
// workflow's repository, under its own key or defaultKey.
func Place(repo *wfv1.ArtifactRepositoryRefStatus, a *wfv1.Artifact, defaultKey string) *wfv1.S3Artifact {
	var own wfv1.S3Artifact
	if a.S3 != nil {
		own = *a.S3
	}
	if own.Key == "" {
		own.Key = defaultKey
	}
	if own.Bucket != "" {
		return &own // a location of its own
	}
	if repo != nil && repo.ArtifactRepository != nil && repo.ArtifactRepository.S3 != nil {
		loc := repo.ArtifactRepository.S3.S3Artifact
		loc.Key = own.Key
		return &loc
	}
	return &wfv1.S3Artifact{Key: own.Key} // key-only: the engine's repository
}

// Open returns the driver and key of an s3 location: a key-only one is
// in the engine's repository, one with a bucket in that S3 bucket.
func (l *Locator) Open(namespace string, loc *wfv1.S3Artifact) (artifacts.Driver, string, error) {
	if loc == nil || loc.Key == "" {
		return nil, "", errors.New("no key")
	}
	if loc.Bucket == "" {
		if loc.Endpoint != "" {
			return nil, "", fmt.Errorf("s3 endpoint %s: no bucket", loc.Endpoint)
		}
		if l.Local == nil {
			return nil, "", errors.New("no artifact repository is configured")
		}
		key, err := NamespacedKey(namespace, loc.Key)
		if err != nil {
			return nil, "", err
		}
		d, err := l.Local()
		return d, key, err
	}
	cfg, err := l.s3Config(namespace, loc)
	if err != nil {
		return nil, "", err
	}
	ck := clientKey{cfg.Endpoint, cfg.Bucket, cfg.Region, cfg.AccessKey, cfg.SecretKey, cfg.SessionToken, cfg.Insecure, cfg.PathStyle, cfg.CreateBucket}
	l.mu.Lock()
	defer l.mu.Unlock()
	if d, ok := l.clients[ck]; ok {
		return d, loc.Key, nil
	}
	d, err := s3repo.New(cfg)
	if err != nil {
		return nil, "", err
	}
	if l.clients == nil || len(l.clients) >= maxClients {
		l.clients = map[clientKey]*s3repo.Driver{}
	}
	l.clients[ck] = d
	return d, loc.Key, nil
}

// NamespacesDir is the top directory of the engine's repository under
// which each namespace has its own: NamespacesDir/NAMESPACE/KEY. No
// workflow name (hence no default key) starts with '_', so it is apart
// from what earlier versions stored at the top.
const NamespacesDir = "_ns"

// NamespacedKey is where key of namespace lives in the engine's
// repository, which every namespace shares: a key is confined to its
// namespace's directory, so no key reaches another namespace's
// artifacts (the key a user sees, in the status, stays Argo's).
func NamespacedKey(namespace, key string) (string, error) {
	if err := spec.ValidNamespace(namespace); err != nil {
		return "", fmt.Errorf("namespace %w", err)
	}
	if err := artifacts.CheckKey(key); err != nil {
		return "", err
	}
	return NamespacesDir + "/" + namespace + "/" + key, nil
}

// Describe names a location for messages: the bucket and endpoint, or
// the engine's repository.
func Describe(loc *wfv1.S3Artifact) string {
	if loc == nil || loc.Bucket == "" {
		return "the local artifact repository"
	}
	ep := loc.Endpoint
	if ep == "" {
		ep = "s3.amazonaws.com"
	}
	return fmt.Sprintf("s3 bucket %s at %s", loc.Bucket, ep)
}

// s3Config reads an s3 location's settings and credentials.
func (l *Locator) s3Config(namespace string, s *wfv1.S3Artifact) (s3repo.Config, error) {
	cfg := s3repo.Config{Endpoint: s.Endpoint, Bucket: s.Bucket, Region: s.Region, PathStyle: s.AddressingStyle == "path",
		CreateBucket: s.CreateBucketIfNotPresent != nil}
	if s.Insecure != nil {
		cfg.Insecure = *s.Insecure
	}
	switch {
	case s.UseSDKCreds:
		return cfg, errors.New("s3 useSDKCreds: not supported (semaflow reads credentials from accessKeySecret and secretKeySecret only)")
	case s.RoleARN != "":
		return cfg, errors.New("s3 roleARN: not supported (semaflow reads credentials from accessKeySecret and secretKeySecret only)")
	case s.CASecret != nil:
		return cfg, errors.New("s3 caSecret: not supported (the host's certificate authorities are used)")
	case len(s.EncryptionOptions) > 0:
		return cfg, errors.New("s3 encryptionOptions: not supported")
	case s.AddressingStyle != "" && s.AddressingStyle != "path" && s.AddressingStyle != "virtual":
		return cfg, fmt.Errorf("s3 addressingStyle %q: want path or virtual", s.AddressingStyle)
	}
	if v, ok := s.CreateBucketIfNotPresent["objectLocking"].(bool); ok && v {
		return cfg, errors.New("s3 createBucketIfNotPresent.objectLocking: not supported")
	}
	var err error
	if cfg.AccessKey, err = l.secret(namespace, "accessKeySecret", s.AccessKeySecret); err != nil {
		return cfg, err
	}
	if cfg.SecretKey, err = l.secret(namespace, "secretKeySecret", s.SecretKeySecret); err != nil {
		return cfg, err
	}
	if cfg.SessionToken, err = l.secret(namespace, "sessionTokenSecret", s.SessionTokenSecret); err != nil {
		return cfg, err
	}
	if l.Policy != nil {
		cfg.Dial = fetch.PolicyDialer(l.Policy, "s3 artifact")
	}
	return cfg, nil
}

// secret reads the Secret key sel names; an optional one may be missing.
func (l *Locator) secret(namespace, field string, sel *wfv1.SecretKeySelector) (string, error) {
	if sel == nil || (sel.Name == "" && sel.Key == "") {
		return "", nil
	}
	optional := sel.Optional != nil && *sel.Optional
	if l.Secrets == nil {
		if optional {
			return "", nil
		}
		return "", fmt.Errorf("%s: secret %s key %s: %w", field, sel.Name, sel.Key, ErrNoSecret)
	}
	v, err := l.Secrets(namespace, sel.Name, sel.Key)
	if errors.Is(err, ErrNoSecret) && optional {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// LoadRemote loads an http or git input artifact into dst (a path that
// does not exist yet); tmp is a private scratch directory.
func (l *Locator) LoadRemote(ctx context.Context, namespace string, a *wfv1.Artifact, dst, tmp string) error {
	switch {
	case len(a.HTTP) > 0:
		h, err := l.httpSpec(namespace, a.HTTP)
		if err != nil {
			return err
		}
		return fetch.LoadHTTP(ctx, h, l.Policy, dst)
	case len(a.Git) > 0:
		g, err := l.gitSpec(namespace, a.Git)
		if err != nil {
			return err
		}
		return fetch.LoadGit(ctx, g, l.Policy, dst, tmp)
	}
	return errors.New("neither http nor git")
}
