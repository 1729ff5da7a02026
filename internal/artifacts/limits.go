package artifacts

// Bounds on one artifact, whichever way it travels: a step may write
// without end, and a stored archive may claim any size. Past them the
// artifact fails with a message that says which bound.
const (
	// MaxBytes caps the bytes of one artifact's files (1 GiB), before
	// compression when archived and after decompression when loaded.
	MaxBytes = 1 << 30
	// MaxEntries caps the files, directories and links of one artifact.
	MaxEntries = 100_000
	// MaxDepth caps how deeply an artifact's directories nest.
	MaxDepth = 128
)
