package portfolio

// SetStreamThreshold makes ImportSBOMFrom stream documents larger than n
// bytes, until the returned function restores the default.
func SetStreamThreshold(n int64) (restore func()) {
	old := streamThreshold
	streamThreshold = n
	return func() { streamThreshold = old }
}
