package wfv1

// ArtifactRepository is one entry of an artifact-repositories ConfigMap
// (Argo's ArtifactRepository): where a workflow's artifacts go when the
// artifact names no location of its own.
type ArtifactRepository struct {
	ArchiveLogs *bool                 `json:"archiveLogs,omitempty"`
	S3          *S3ArtifactRepository `json:"s3,omitempty"`
	// Local is semaflow's own: the engine's repository
	// (--artifact-repository, by default in the data directory).
	Local       *LocalArtifactRepository `json:"local,omitempty"`
	GCS         Object                   `json:"gcs,omitempty"`
	Azure       Object                   `json:"azure,omitempty"`
	HDFS        Object                   `json:"hdfs,omitempty"`
	OSS         Object                   `json:"oss,omitempty"`
	Artifactory Object                   `json:"artifactory,omitempty"`
}

// S3ArtifactRepository is an S3 bucket holding a workflow's artifacts.
type S3ArtifactRepository struct {
	S3Artifact `json:",inline"`
	// KeyFormat makes each output's key; Argo's default is
	// {{workflow.name}}/{{pod.name}}.
	KeyFormat string `json:"keyFormat,omitempty"`
	// KeyPrefix is Argo's older spelling of a key format's prefix.
	KeyPrefix string `json:"keyPrefix,omitempty"`
}

// LocalArtifactRepository selects the engine's own repository.
type LocalArtifactRepository struct{}

// ArtifactRepositoryRefStatus records which repository a workflow
// resolved, so later steps (and GC) use the same one even if the
// ConfigMap changes (Argo's status.artifactRepositoryRef).
type ArtifactRepositoryRefStatus struct {
	ConfigMap string `json:"configMap,omitempty"`
	Key       string `json:"key,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	// Default says no ConfigMap entry applied: the engine's repository.
	Default            bool                `json:"default,omitempty"`
	ArtifactRepository *ArtifactRepository `json:"artifactRepository,omitempty"`
}
