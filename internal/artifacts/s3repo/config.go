// Package s3repo keeps artifacts in an S3-compatible object store (AWS S3,
// MinIO, SeaweedFS, ...) through minio-go, as Argo's s3 artifacts and
// repositories do.
package s3repo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Config is where the objects are and how to reach them: Argo's s3
// artifact fields, credentials already read from their secrets.
type Config struct {
	// Endpoint is host[:port], as Argo writes it ("minio:9000"); an
	// http:// or https:// prefix is accepted and overrides Insecure.
	Endpoint string
	Bucket   string
	Region   string
	// Insecure speaks plain HTTP instead of HTTPS.
	Insecure bool
	// AccessKey and SecretKey sign requests; both empty sends anonymous
	// requests (a public bucket).
	AccessKey, SecretKey, SessionToken string
	// CreateBucket makes the bucket on the first save that finds it
	// missing (Argo's createBucketIfNotPresent).
	CreateBucket bool
	// PathStyle addresses the bucket in the path (Argo's addressingStyle
	// "path"); otherwise minio-go picks (virtual hosts for AWS).
	PathStyle bool
	// Dial, when set, makes every connection (the engine passes its
	// policy for connections made on a workflow's behalf).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Retries and timeouts: a dead or unreachable endpoint fails the step in
// bounded time instead of hanging it. Each request is tried Attempts
// times (minio-go's backoff between tries is at most 1 s), each
// connection attempt gives up after DialTimeout, and a server that has
// received a whole request has HeaderTimeout to start answering (the
// time an upload takes does not count). So a refused connection fails
// within about 2 s, a silent (blackholed) address within about
// Attempts x DialTimeout + 3 s = 18 s, and a server that accepts but
// never answers within about Attempts x HeaderTimeout + 3 s = 63 s.
const (
	Attempts      = 3
	DialTimeout   = 5 * time.Second
	HeaderTimeout = 20 * time.Second
)

// ErrConfig says a Config cannot be used as it stands.
var ErrConfig = errors.New("s3 artifact")

// Driver is one bucket of one endpoint.
type Driver struct {
	cfg    Config
	client *minio.Client
}

// New checks cfg and makes its client; it does not connect.
func New(cfg Config) (*Driver, error) {
	ep := strings.TrimSpace(cfg.Endpoint)
	switch {
	case strings.HasPrefix(ep, "https://"):
		ep, cfg.Insecure = strings.TrimPrefix(ep, "https://"), false
	case strings.HasPrefix(ep, "http://"):
		ep, cfg.Insecure = strings.TrimPrefix(ep, "http://"), true
	}
	ep = strings.TrimSuffix(ep, "/")
	if ep == "" {
		ep = "s3.amazonaws.com" // Argo's default when the endpoint is left out
	}
	if strings.ContainsAny(ep, "/?#@ ") {
		return nil, fmt.Errorf("%w: endpoint %q: want host[:port], as minio:9000", ErrConfig, cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, fmt.Errorf("%w: endpoint %s: no bucket: set s3.bucket on the artifact or in its artifact repository", ErrConfig, ep)
	}
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("%w: bucket %q: %w", ErrConfig, cfg.Bucket, err)
	}
	cfg.Endpoint = ep
	dial := cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: DialTimeout}).DialContext
	}
	tr := &http.Transport{
		Proxy: nil, // the engine's proxy environment is not a workflow's
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, DialTimeout)
			defer cancel()
			return dial(ctx, network, addr)
		},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: HeaderTimeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
	}
	opts := &minio.Options{
		Secure:     !cfg.Insecure,
		Region:     cfg.Region,
		Transport:  tr,
		MaxRetries: Attempts,
	}
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		opts.Creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	} else {
		opts.Creds = credentials.New(&credentials.Static{Value: credentials.Value{SignerType: credentials.SignatureAnonymous}})
	}
	if cfg.PathStyle {
		opts.BucketLookup = minio.BucketLookupPath
	}
	c, err := minio.New(ep, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: endpoint %s: %w", ErrConfig, ep, err)
	}
	return &Driver{cfg: cfg, client: c}, nil
}

// Where names the endpoint and bucket, for messages.
func (d *Driver) Where() string {
	scheme := "https"
	if d.cfg.Insecure {
		scheme = "http"
	}
	return fmt.Sprintf("%s://%s/%s", scheme, d.cfg.Endpoint, d.cfg.Bucket)
}
