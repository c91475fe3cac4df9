package portfolio

// SetStreamThreshold makes ImportSBOMFrom stream documents larger than n
// bytes, until the returned function restores the default.
func SetStreamThreshold(n int64) (restore func()) { return set(&streamThreshold, n) }

// SetMatchBatch makes MatchRelease read n components at a time, until the
// returned function restores the default.
func SetMatchBatch(n int) (restore func()) { return set(&matchBatch, n) }

// SetGateBatch makes the gate read n components at a time, until the
// returned function restores the default.
func SetGateBatch(n int) (restore func()) { return set(&gateBatch, n) }

// SetGateMaxViolations makes the gate keep n violations (0: all), until
// the returned function restores the default.
func SetGateMaxViolations(n int) (restore func()) { return set(&gateMaxViolations, n) }

// set sets *v to n until the returned function restores what it was.
func set[T any](v *T, n T) (restore func()) {
	old := *v
	*v = n
	return func() { *v = old }
}
