//go:build !linux && !darwin

package bolt

// diskFree is unknown here: WriteProblem then just tries a write.
func diskFree(string) (uint64, bool) { return 0, false }
