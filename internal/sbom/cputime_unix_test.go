//go:build unix

package sbom

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user+system) used by this process, so
// benchmarks can report CPU cost independently of how busy the machine is.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
