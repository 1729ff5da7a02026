package artifacts

import (
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/semaflow/semaflow/api/wfv1"
)

// Argo's names for the repositories ConfigMap and its default-key
// annotation.
const (
	RepositoriesConfigMap = "artifact-repositories"
	DefaultRepoAnnotation = "workflows.argoproj.io/default-artifact-repository"
)

// GetConfigMap returns a stored ConfigMap, or nil with no error when
// there is none by that name.
type GetConfigMap func(namespace, name string) (*wfv1.ConfigMap, error)

// errNoEntry says a ConfigMap or its key is missing: Argo then tries the
// next place.
var errNoEntry = errors.New("no such artifact repository")

// ResolveRepository finds a workflow's artifact repository as Argo does:
// with an artifactRepositoryRef, the named key (or the ConfigMap's
// default-key annotation) of the named ConfigMap (artifact-repositories
// by default) in the workflow's namespace, and an error when there is
// none; without one, the default entry of the namespace's
// artifact-repositories ConfigMap if it has one, else the engine's own
// repository (Default). Argo also looks in its controller's namespace;
// semaflow has none, so the workflow's namespace is the only place.
func ResolveRepository(ref *wfv1.ArtifactRepositoryRef, namespace string, get GetConfigMap) (*wfv1.ArtifactRepositoryRefStatus, error) {
	if ref == nil {
		st, err := repositoryEntry(namespace, RepositoriesConfigMap, "", get)
		if errors.Is(err, errNoEntry) {
			return &wfv1.ArtifactRepositoryRefStatus{Namespace: namespace, Default: true}, nil
		}
		return st, err
	}
	name := ref.ConfigMap
	if name == "" {
		name = RepositoriesConfigMap
	}
	st, err := repositoryEntry(namespace, name, ref.Key, get)
	if errors.Is(err, errNoEntry) {
		return nil, fmt.Errorf("artifactRepositoryRef (configMap %q, key %q): %w; apply a ConfigMap %s in namespace %s whose key holds the repository (as Argo's artifact-repositories)",
			name, ref.Key, err, name, namespace)
	}
	return st, err
}

func repositoryEntry(namespace, name, key string, get GetConfigMap) (*wfv1.ArtifactRepositoryRefStatus, error) {
	cm, err := get(namespace, name)
	if err != nil {
		return nil, fmt.Errorf("artifact repository ConfigMap %s/%s: %w", namespace, name, err)
	}
	if cm == nil {
		return nil, fmt.Errorf("%w: ConfigMap %s/%s does not exist", errNoEntry, namespace, name)
	}
	if key == "" {
		key = cm.Metadata.Annotations[DefaultRepoAnnotation]
		if key == "" {
			return nil, fmt.Errorf("%w: ConfigMap %s/%s has no key given and no %s annotation", errNoEntry, namespace, name, DefaultRepoAnnotation)
		}
	}
	value, ok := cm.Data[key]
	if !ok {
		return nil, fmt.Errorf("%w: ConfigMap %s/%s has no key %q", errNoEntry, namespace, name, key)
	}
	repo := &wfv1.ArtifactRepository{}
	if err := yaml.UnmarshalStrict([]byte(value), repo); err != nil {
		return nil, fmt.Errorf("artifact repository ConfigMap %s/%s key %q: %w", namespace, name, key, err)
	}
	if err := checkRepository(repo); err != nil {
		return nil, fmt.Errorf("artifact repository ConfigMap %s/%s key %q: %w", namespace, name, key, err)
	}
	return &wfv1.ArtifactRepositoryRefStatus{ConfigMap: name, Key: key, Namespace: namespace, ArtifactRepository: repo}, nil
}

// checkRepository refuses an entry semaflow cannot store to, naming why.
func checkRepository(r *wfv1.ArtifactRepository) error {
	for kind, set := range map[string]bool{"gcs": len(r.GCS) > 0, "azure": len(r.Azure) > 0, "hdfs": len(r.HDFS) > 0, "oss": len(r.OSS) > 0, "artifactory": len(r.Artifactory) > 0} {
		if set {
			return fmt.Errorf("%s repositories are not supported (semaflow stores artifacts in s3 or its local repository)", kind)
		}
	}
	switch {
	case r.S3 != nil && r.Local != nil:
		return errors.New("both s3 and local: choose one")
	case r.S3 == nil && r.Local == nil:
		return errors.New("no repository: want s3 (Argo's) or local (semaflow's own repository)")
	case r.S3 != nil && r.S3.Bucket == "":
		return errors.New("s3: no bucket")
	}
	return nil
}
