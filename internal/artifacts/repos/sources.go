package repos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/artifacts/fetch"
)

// httpArtifact is Argo's http artifact, as semaflow reads it.
type httpArtifact struct {
	URL     string `json:"url"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers,omitempty"`
	Auth *struct {
		BasicAuth *struct {
			UsernameSecret *wfv1.SecretKeySelector `json:"usernameSecret,omitempty"`
			PasswordSecret *wfv1.SecretKeySelector `json:"passwordSecret,omitempty"`
		} `json:"basicAuth,omitempty"`
		OAuth2     wfv1.Object `json:"oauth2,omitempty"`
		ClientCert wfv1.Object `json:"clientCert,omitempty"`
	} `json:"auth,omitempty"`
	SaveStreamViaFile bool `json:"saveStreamViaFile,omitempty"`
}

// gitArtifact is Argo's git artifact.
type gitArtifact struct {
	Repo                  string                  `json:"repo"`
	Revision              string                  `json:"revision,omitempty"`
	Depth                 *uint64                 `json:"depth,omitempty"`
	Fetch                 []string                `json:"fetch,omitempty"`
	UsernameSecret        *wfv1.SecretKeySelector `json:"usernameSecret,omitempty"`
	PasswordSecret        *wfv1.SecretKeySelector `json:"passwordSecret,omitempty"`
	SSHPrivateKeySecret   *wfv1.SecretKeySelector `json:"sshPrivateKeySecret,omitempty"`
	InsecureIgnoreHostKey bool                    `json:"insecureIgnoreHostKey,omitempty"`
	DisableSubmodules     bool                    `json:"disableSubmodules,omitempty"`
	SingleBranch          bool                    `json:"singleBranch,omitempty"`
	Branch                string                  `json:"branch,omitempty"`
	InsecureSkipTLS       bool                    `json:"insecureSkipTLS,omitempty"`
}

// maxGitDepth keeps a depth from overflowing git's int.
const maxGitDepth = 1 << 30

// decodeStrict reads o into v, refusing fields v does not know: a field
// semaflow would not act on is an error, never ignored.
func decodeStrict(what string, o wfv1.Object, v any) error {
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (l *Locator) httpSpec(namespace string, o wfv1.Object) (fetch.HTTP, error) {
	var a httpArtifact
	if err := decodeStrict("http", o, &a); err != nil {
		return fetch.HTTP{}, err
	}
	h := fetch.HTTP{URL: a.URL}
	for _, hd := range a.Headers {
		h.Headers = append(h.Headers, fetch.Header{Name: hd.Name, Value: hd.Value})
	}
	if a.Auth != nil {
		if len(a.Auth.OAuth2) > 0 || len(a.Auth.ClientCert) > 0 {
			return h, errors.New("http auth: only basicAuth is supported (not oauth2 or clientCert)")
		}
		if b := a.Auth.BasicAuth; b != nil {
			var err error
			if h.Username, err = l.secret(namespace, "http.auth.basicAuth.usernameSecret", b.UsernameSecret); err != nil {
				return h, err
			}
			if h.Password, err = l.secret(namespace, "http.auth.basicAuth.passwordSecret", b.PasswordSecret); err != nil {
				return h, err
			}
		}
	}
	return h, nil
}

func (l *Locator) gitSpec(namespace string, o wfv1.Object) (fetch.Git, error) {
	var a gitArtifact
	if err := decodeStrict("git", o, &a); err != nil {
		return fetch.Git{}, err
	}
	g := fetch.Git{Repo: a.Repo, Revision: a.Revision, Fetch: a.Fetch, Branch: a.Branch, SingleBranch: a.SingleBranch,
		DisableSubmodules: a.DisableSubmodules, InsecureSkipTLS: a.InsecureSkipTLS, InsecureIgnoreHostKey: a.InsecureIgnoreHostKey, User: l.GitUser,
		Start: l.GitStart}
	if a.Depth != nil {
		if *a.Depth > maxGitDepth {
			return g, fmt.Errorf("git depth %d: too large", *a.Depth)
		}
		g.Depth = int(*a.Depth)
	}
	var err error
	if g.Username, err = l.secret(namespace, "git.usernameSecret", a.UsernameSecret); err != nil {
		return g, err
	}
	if g.Password, err = l.secret(namespace, "git.passwordSecret", a.PasswordSecret); err != nil {
		return g, err
	}
	if g.SSHKey, err = l.secret(namespace, "git.sshPrivateKeySecret", a.SSHPrivateKeySecret); err != nil {
		return g, err
	}
	return g, nil
}
