package spec

// fetchedSources are the input artifact locations semaflow fetches
// itself (internal/artifacts/repos): s3 (a key-only one from the
// workflow's repository), an http URL and a git repository.
var fetchedSources = map[string]bool{"s3": true, "http": true, "git": true}
