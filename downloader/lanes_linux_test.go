package downloader

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkHashSet hashes sets of 8 MiB files read back from memory. The
// CPU time (cpu-s/GB, from rusage) is what a set saves: the wall time
// also counts the second core, which crypto/md5 uses for two files.
func BenchmarkHashSet(b *testing.B) {
	data := bytes.Repeat([]byte("dlhelper"), 1<<20)
	for _, n := range []int{1, 2, laneMinSet - 1, laneMinSet, 8, laneCount} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			b.SetBytes(int64(n * len(data)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				set := make([]*laneFile, n)
				for i := range set {
					set[i] = &laneFile{ctx: context.Background(), part: bytes.NewReader(data), size: int64(len(data)), hashed: make(chan struct{})}
				}
				hashSet(set)
			}
			gb := float64(b.N*n*len(data)) / 1e9
			b.ReportMetric((cpuTime()-cpu0).Seconds()/gb, "cpu-s/GB")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
