package app

import (
	"context"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// LimitMemory keeps the process's heap from doubling on hashing garbage.
// Every argon2id hash allocates its whole memory (64 MiB by default) and
// drops it when done; the collector, left to itself, lets the heap grow to
// twice what was live before it runs, so a login storm's garbage alone
// would double what the hashing pool holds. This sets Go's soft memory
// limit to the larger of what the pool needs with a margin (memoryBase plus
// 1.25 × its slots' buffers) and 1.5 × what was live at the last collection
// (so a large embedded Redis is never squeezed into constant collection),
// and follows the live heap until ctx ends. A GOMEMLIMIT in the
// environment wins; then nothing is changed. For the server process only.
func LimitMemory(ctx context.Context, hashMemoryKiB uint32) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	floor := memoryBase + int64(runtime.NumCPU())*int64(hashMemoryKiB)*1024*5/4
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	for {
		metrics.Read(sample)
		live := int64(sample[0].Value.Uint64())
		debug.SetMemoryLimit(max(floor, live*3/2))
		select {
		case <-ctx.Done():
			debug.SetMemoryLimit(math.MaxInt64)
			return
		case <-time.After(memoryEvery):
		}
	}
}

const (
	memoryBase  = 64 << 20 // the server without hashing: code, pools, buffers
	memoryEvery = 10 * time.Second
)
