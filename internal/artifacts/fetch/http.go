package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HTTP is an http input artifact: Argo's url and headers, values resolved.
type HTTP struct {
	URL     string
	Headers []Header
	// Basic auth, already read from its secrets (Argo's auth.basicAuth).
	Username, Password string
}

// Header is one request header.
type Header struct{ Name, Value string }

// Limits of an http download: the body is written to disk, so the cap is
// about the disk, not memory. A step that needs more should fetch it itself.
const (
	MaxHTTPBytes   = 1 << 30 // 1 GiB
	HTTPTimeout    = 10 * time.Minute
	MaxRedirects   = 5
	headerDeadline = time.Minute
)

// ErrTooLarge says a download passed its size cap.
var ErrTooLarge = errors.New("too large")

// LoadHTTP downloads h.URL into the file dst (through a temporary file, so
// a failed download leaves nothing), with every connection checked by p.
func LoadHTTP(ctx context.Context, h HTTP, p Policy, dst string) error {
	return loadHTTP(ctx, h, p, dst, MaxHTTPBytes)
}

func loadHTTP(ctx context.Context, h HTTP, p Policy, dst string, limit int64) error {
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want an http:// or https:// URL", h.URL)
	}
	ctx, cancel := context.WithTimeout(ctx, HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("url %s: %w", redact(u), err)
	}
	for _, hd := range h.Headers {
		if strings.EqualFold(hd.Name, "host") {
			req.Host = hd.Value
		} else {
			req.Header.Add(hd.Name, hd.Value)
		}
	}
	if h.Username != "" || h.Password != "" {
		req.SetBasicAuth(h.Username, h.Password)
	}
	client := &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           PolicyDialer(p, "http artifact"),
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: headerDeadline,
			DisableKeepAlives:     true,
		},
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", MaxRedirects)
			}
			return nil
		},
	}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("GET %s: no complete response within %s", redact(u), HTTPTimeout)
		}
		return fmt.Errorf("GET %s: %w", redact(u), unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: %s", redact(u), resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("GET %s: %d bytes is over the %d-byte cap of an http artifact: %w", redact(u), resp.ContentLength, limit, ErrTooLarge)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	tmp := dst + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		err = fmt.Errorf("GET %s: reading the body: %w", redact(u), err)
	case n > limit:
		err = fmt.Errorf("GET %s: the body is over the %d-byte cap of an http artifact: %w", redact(u), limit, ErrTooLarge)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}

// redact drops a URL's password from messages.
func redact(u *url.URL) string { return u.Redacted() }

// unwrapURLError drops url.Error's repetition of the method and URL,
// which the caller's message already has.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
