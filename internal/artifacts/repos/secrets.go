package repos

import (
	"fmt"
	"strings"
)

// Secrets come from the engine's environment: Kubernetes Secrets do not
// exist here, and a Secret manifest applied through the API would put
// credentials in the store and its backups, readable by every API
// client. The operator who starts `semaflow run` or `server` sets
// SEMAFLOW_SECRET_<NAME>_<KEY> (upper case, every other character than a
// letter or digit as _), e.g. secret my-minio-cred key accesskey is
// SEMAFLOW_SECRET_MY_MINIO_CRED_ACCESSKEY. Steps never see these: their
// environment is built without the engine's.

// SecretEnvPrefix starts every secret's variable name.
const SecretEnvPrefix = "SEMAFLOW_SECRET_"

// SecretEnvName is the variable that holds secret name's key.
func SecretEnvName(name, key string) string {
	up := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				return r
			}
			return '_'
		}, s)
	}
	return SecretEnvPrefix + up(name) + "_" + up(key)
}

// EnvSecrets reads secrets with lookup (os.LookupEnv in the app).
func EnvSecrets(lookup func(string) (string, bool)) Secrets {
	return func(_, name, key string) (string, error) {
		v := SecretEnvName(name, key)
		if s, ok := lookup(v); ok {
			return s, nil
		}
		return "", fmt.Errorf("secret %s key %s: %w: set %s in the environment of the semaflow engine (run or server)", name, key, ErrNoSecret, v)
	}
}

// WithoutSecrets drops the secrets' variables from env: they are the
// engine's, for fetching artifacts, and no step (nor its supervisor,
// which a step could read) is given them, even under semaflow run.
func WithoutSecrets(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, SecretEnvPrefix) {
			out = append(out, kv)
		}
	}
	return out
}
