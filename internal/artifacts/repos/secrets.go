package repos

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/semaflow/semaflow/internal/spec"
)

// Secrets belong to a namespace, as Kubernetes Secrets do: a workflow
// reads only its own namespace's. They are files the operator lays out
// under --secrets-dir as a Secret is mounted in a pod, DIR/NAMESPACE/
// NAME/KEY, the file's bytes being the value.
//
// Why files and not environment variables: a variable name cannot keep a
// namespace, a name and a key apart (names have '-' and '.', variables
// do not), so namespace "a-b" secret "c" and namespace "a" secret "b-c"
// would share one and a workflow of "a" would read "a-b"'s. A path keeps
// the three validated strings exact. Why not a Secret applied through the
// API: it would sit in the store and its backups, readable by every API
// client. The directory is the operator's (0700, owned by the engine's
// user), outside anything the API serves; steps run as an unprivileged
// user when the engine is root and never see it.

// MaxSecretBytes bounds one key's value, as Kubernetes bounds a Secret.
const MaxSecretBytes = 1 << 20

// SecretEnvPrefix started the engine-wide secret variables of earlier
// versions: they are no longer read (see LegacySecretVars), and still
// kept from steps.
const SecretEnvPrefix = "SEMAFLOW_SECRET_"

// secretKeyName is what Kubernetes allows as a Secret's key.
var secretKeyName = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// DirSecrets reads namespaced secrets from dir (DIR/NAMESPACE/NAME/KEY).
// An empty dir knows none.
func DirSecrets(dir string) Secrets {
	return func(namespace, name, key string) (string, error) {
		what := fmt.Sprintf("secret %q key %q in namespace %q", name, key, namespace)
		if err := spec.ValidNamespace(namespace); err != nil {
			return "", fmt.Errorf("%s: namespace %w", what, err)
		}
		if err := spec.ValidName(name); err != nil {
			return "", fmt.Errorf("%s: name %w", what, err)
		}
		if len(key) > spec.MaxNameLength || !secretKeyName.MatchString(key) || key == "." || key == ".." {
			return "", fmt.Errorf("%s: a key is letters, digits, '-', '_' and '.'", what)
		}
		if dir == "" {
			return "", fmt.Errorf("%s: %w: the engine has no --secrets-dir (a secret is the file DIR/%s/%s/%s)", what, ErrNoSecret, namespace, name, key)
		}
		v, err := readSecret(dir, filepath.Join(namespace, name, key))
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: %w: no file %s", what, ErrNoSecret, filepath.Join(dir, namespace, name, key))
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		return v, nil
	}
}

// readSecret reads rel under dir through an os.Root, so no link in the
// directory leads a secret's path out of it.
func readSecret(dir, rel string) (string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", err
	} else if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", rel)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSecretBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxSecretBytes {
		return "", fmt.Errorf("%s: over %d bytes", rel, MaxSecretBytes)
	}
	return string(b), nil
}

// LegacySecretVars lists the SEMAFLOW_SECRET_* variables set in env:
// the engine warns that they are no longer read rather than ignore them
// silently.
func LegacySecretVars(env []string) []string {
	var names []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, SecretEnvPrefix) {
			names = append(names, k)
		}
	}
	return names
}

// WithoutSecrets drops SEMAFLOW_SECRET_* variables from env: whatever
// an operator still keeps there is not a step's (nor its supervisor's,
// which a step could read), even under semaflow run.
func WithoutSecrets(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, SecretEnvPrefix) {
			out = append(out, kv)
		}
	}
	return out
}
