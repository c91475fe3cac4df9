package portfolio

// SetStreamThreshold makes ImportSBOMFrom stream documents larger than n
// bytes, until the returned function restores the default.
func SetStreamThreshold(n int64) (restore func()) {
	old := streamThreshold
	streamThreshold = n
	return func() { streamThreshold = old }
}

// SetMatchBatch makes MatchRelease read n components at a time, until the
// returned function restores the default.
func SetMatchBatch(n int) (restore func()) {
	old := matchBatch
	matchBatch = n
	return func() { matchBatch = old }
}

// SetGateBatch makes the gate read n components at a time, until the
// returned function restores the default.
func SetGateBatch(n int) (restore func()) {
	old := gateBatch
	gateBatch = n
	return func() { gateBatch = old }
}

// SetGateMaxViolations makes the gate keep n violations (0: all), until
// the returned function restores the default.
func SetGateMaxViolations(n int) (restore func()) {
	old := gateMaxViolations
	gateMaxViolations = n
	return func() { gateMaxViolations = old }
}
