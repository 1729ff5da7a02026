package wfv1

// Arguments are the values a caller passes to a template or workflow.
type Arguments struct {
	Parameters []Parameter `json:"parameters,omitempty"`
	Artifacts  []Artifact  `json:"artifacts,omitempty"`
}

// Inputs are the parameters and artifacts a template declares.
type Inputs struct {
	Parameters []Parameter `json:"parameters,omitempty"`
	Artifacts  []Artifact  `json:"artifacts,omitempty"`
}

// Outputs are what a template produces.
type Outputs struct {
	Parameters []Parameter `json:"parameters,omitempty"`
	Artifacts  []Artifact  `json:"artifacts,omitempty"`
	Result     *string     `json:"result,omitempty"`
	ExitCode   *string     `json:"exitCode,omitempty"`
}

// Parameter is a named string value.
type Parameter struct {
	Name        string      `json:"name"`
	Default     *AnyString  `json:"default,omitempty"`
	Value       *AnyString  `json:"value,omitempty"`
	ValueFrom   *ValueFrom  `json:"valueFrom,omitempty"`
	GlobalName  string      `json:"globalName,omitempty"`
	Enum        []AnyString `json:"enum,omitempty"`
	Description *AnyString  `json:"description,omitempty"`
}

// ValueFrom says where a parameter's value comes from.
type ValueFrom struct {
	Path            string                `json:"path,omitempty"`
	JSONPath        string                `json:"jsonPath,omitempty"`
	JQFilter        string                `json:"jqFilter,omitempty"`
	Event           string                `json:"event,omitempty"`
	Parameter       string                `json:"parameter,omitempty"`
	Supplied        *SuppliedValueFrom    `json:"supplied,omitempty"`
	ConfigMapKeyRef *ConfigMapKeySelector `json:"configMapKeyRef,omitempty"`
	Default         *AnyString            `json:"default,omitempty"`
	Expression      string                `json:"expression,omitempty"`
}

// SuppliedValueFrom marks a value supplied by whoever resumes a suspend node.
type SuppliedValueFrom struct{}

// Artifact is a named file or directory passed between steps.
type Artifact struct {
	Name             string      `json:"name"`
	Path             string      `json:"path,omitempty"`
	Mode             *int32      `json:"mode,omitempty"`
	From             string      `json:"from,omitempty"`
	ArchiveLogs      *bool       `json:"archiveLogs,omitempty"`
	GlobalName       string      `json:"globalName,omitempty"`
	Archive          Object      `json:"archive,omitempty"`
	Optional         bool        `json:"optional,omitempty"`
	SubPath          string      `json:"subPath,omitempty"`
	RecurseMode      bool        `json:"recurseMode,omitempty"`
	FromExpression   string      `json:"fromExpression,omitempty"`
	ArtifactGC       *ArtifactGC `json:"artifactGC,omitempty"`
	Deleted          bool        `json:"deleted,omitempty"`
	ArtifactLocation `json:",inline"`
}

// ArtifactLocation is where an artifact is stored. Locally only raw and the
// key of the local repository are used; the cloud stores are recorded.
type ArtifactLocation struct {
	ArchiveLogs *bool        `json:"archiveLogs,omitempty"`
	S3          *S3Artifact  `json:"s3,omitempty"`
	Git         Object       `json:"git,omitempty"`
	HTTP        Object       `json:"http,omitempty"`
	Artifactory Object       `json:"artifactory,omitempty"`
	HDFS        Object       `json:"hdfs,omitempty"`
	Raw         *RawArtifact `json:"raw,omitempty"`
	OSS         Object       `json:"oss,omitempty"`
	GCS         Object       `json:"gcs,omitempty"`
	Azure       Object       `json:"azure,omitempty"`
	Plugin      Object       `json:"plugin,omitempty"`
}

// S3Artifact is an artifact in an S3-compatible store; semaflow maps a
// key-only reference to its local artifact repository.
type S3Artifact struct {
	Endpoint                 string             `json:"endpoint,omitempty"`
	Bucket                   string             `json:"bucket,omitempty"`
	Region                   string             `json:"region,omitempty"`
	Insecure                 *bool              `json:"insecure,omitempty"`
	AccessKeySecret          *SecretKeySelector `json:"accessKeySecret,omitempty"`
	SecretKeySecret          *SecretKeySelector `json:"secretKeySecret,omitempty"`
	SessionTokenSecret       *SecretKeySelector `json:"sessionTokenSecret,omitempty"`
	RoleARN                  string             `json:"roleARN,omitempty"`
	UseSDKCreds              bool               `json:"useSDKCreds,omitempty"`
	CreateBucketIfNotPresent Object             `json:"createBucketIfNotPresent,omitempty"`
	EncryptionOptions        Object             `json:"encryptionOptions,omitempty"`
	CASecret                 *SecretKeySelector `json:"caSecret,omitempty"`
	AddressingStyle          string             `json:"addressingStyle,omitempty"`
	Key                      string             `json:"key,omitempty"`
}

// RawArtifact is an artifact whose content is given inline.
type RawArtifact struct {
	Data string `json:"data"`
}
