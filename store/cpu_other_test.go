//go:build !unix

package store

import "time"

// processCPU is not measured outside unix; the benchmark reports 0.
func processCPU() time.Duration { return 0 }
