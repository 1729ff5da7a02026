package wfv1

// Kind names the store an artifact location points into ("s3", "raw",
// "git", ...), or "" when it names none (an artifact passed by `from`, or
// an optional one nobody supplied).
func (l *ArtifactLocation) Kind() string {
	switch {
	case l.S3 != nil:
		return "s3"
	case l.Raw != nil:
		return "raw"
	case l.Git != nil:
		return "git"
	case l.HTTP != nil:
		return "http"
	case l.Artifactory != nil:
		return "artifactory"
	case l.HDFS != nil:
		return "hdfs"
	case l.OSS != nil:
		return "oss"
	case l.GCS != nil:
		return "gcs"
	case l.Azure != nil:
		return "azure"
	case l.Plugin != nil:
		return "plugin"
	}
	return ""
}
