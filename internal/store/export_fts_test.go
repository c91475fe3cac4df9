package store

// SetFTSCommon lowers the number of index hits that make a search text
// common (findingText), until the returned function restores it.
func SetFTSCommon(n int) (restore func()) {
	old := ftsCommon
	ftsCommon = n
	return func() { ftsCommon = old }
}

// SetFTSWalk sets the number of index hits from which a search walks the
// sort order (findingText), until the returned function restores it.
func SetFTSWalk(n int) (restore func()) {
	old := ftsWalk
	ftsWalk = n
	return func() { ftsWalk = old }
}
