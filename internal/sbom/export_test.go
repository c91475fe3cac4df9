package sbom

// SetTVChunkBytes sets the size of a streamed tag-value chunk and returns
// a function restoring it, so tests cut small documents into many chunks.
func SetTVChunkBytes(n int64) (restore func()) {
	old := tvChunkBytes
	tvChunkBytes = n
	return func() { tvChunkBytes = old }
}

// WithUpstream and SPDXSource expose the source package rules (source.go).
var (
	WithUpstream = withUpstream
	SPDXSource   = spdxSource
)
