package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"runtime"

	"github.com/minio/minio-go/v7"
	"golang.org/x/sync/errgroup"

	"dlhelper/internal/testenv"
)

// bucket holds every workload's objects, each workload under its own prefix.
const bucket = "dlbench"

// workloadDef is a workload at scale 1. At another scale the single big
// object changes size and the others change count, so "order" and "small"
// keep the per-file size that gives them their character.
type workloadDef struct {
	name      string
	count     int
	size      int64
	scaleSize bool   // scale the size (one object) rather than the count
	seedBase  int64  // object i gets seed seedBase+i, so every object differs
	file      string // name pattern of object i, with %04d
	wan       bool   // one of the WAN profile's workloads (issue 21)
}

var workloadDefs = []workloadDef{
	{name: "big", count: 1, size: 1 << 30, scaleSize: true, seedBase: 1_000_000, file: "big-%04d.bin"},
	{name: "order", count: 200, size: 8 << 20, seedBase: 2_000_000, file: "chip-%04d.zip"},
	{name: "small", count: 2000, size: 64 << 10, seedBase: 3_000_000, file: "part-%04d.bin"},
	// Through the WAN emulator, the sizes of issue 21: large enough that
	// the line, not the start-up, decides the time of the first two.
	{name: "wan-big", count: 1, size: 256 << 20, scaleSize: true, seedBase: 4_000_000, file: "big-%04d.bin", wan: true},
	{name: "wan-order", count: 50, size: 32 << 20, seedBase: 5_000_000, file: "chip-%04d.zip", wan: true},
	{name: "wan-small", count: 500, size: 256 << 10, seedBase: 6_000_000, file: "part-%04d.bin", wan: true},
}

// The smallest scaled workload: a few files so "many files" still means
// several, and a big object that still spans several ranges.
const (
	minCount = 2
	minSize  = 64 << 10
)

// workloadNames are the loopback benchmark's workloads, its default.
func workloadNames() []string { return defNames(func(d workloadDef) bool { return !d.wan }) }

// wanWorkloadNames are the default workloads with --wan.
func wanWorkloadNames() []string { return defNames(func(d workloadDef) bool { return d.wan }) }

// allWorkloadNames are every workload --workloads accepts.
func allWorkloadNames() []string { return defNames(func(workloadDef) bool { return true }) }

func defNames(keep func(workloadDef) bool) []string {
	var names []string
	for _, d := range workloadDefs {
		if keep(d) {
			names = append(names, d.name)
		}
	}
	return names
}

// workload is a set of uploaded objects, downloaded whole by each run.
type workload struct {
	Name       string   `json:"name"`
	Title      string   `json:"title"` // "200 × 8 MiB"
	Files      int      `json:"files"`
	FileBytes  int64    `json:"file_bytes"`
	TotalBytes int64    `json:"total_bytes"`
	Objects    []object `json:"-"`
}

// object is one uploaded object and the file a download makes of it.
type object struct {
	Key    string // object key in bucket
	Name   string // file name in the download folder: the key's last element
	Size   int64
	Seed   int64  // content is testenv.RandomReader(Seed, Size)
	SHA256 string // hex, of that content
}

// scaled builds the workload of d at scale f, without hashes yet.
func (d workloadDef) scaled(f float64) workload {
	count, size := d.count, d.size
	if d.scaleSize {
		size = max(minSize, int64(math.Round(float64(size)*f)))
	} else {
		count = max(minCount, int(math.Round(float64(count)*f)))
	}
	w := workload{Name: d.name, Files: count, FileBytes: size, TotalBytes: int64(count) * size}
	w.Title = fmt.Sprintf("%s × %s", thousands(count), humanBytes(size))
	for i := range count {
		name := fmt.Sprintf(d.file, i+1)
		w.Objects = append(w.Objects, object{Key: d.name + "/" + name, Name: name, Size: size, Seed: d.seedBase + int64(i)})
	}
	return w
}

// buildWorkloads returns the named workloads at scale f.
func buildWorkloads(names []string, f float64) []workload {
	var ws []workload
	for _, d := range workloadDefs {
		for _, n := range names {
			if n == d.name {
				ws = append(ws, d.scaled(f))
			}
		}
	}
	return ws
}

// upload puts every object of w into the bucket and records the SHA-256
// of its content. The hash is computed from a second stream of the same
// seed rather than from what the client read, so it does not depend on
// how minio-go buffers or retries.
func upload(ctx context.Context, mc *minio.Client, w *workload) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(4, runtime.GOMAXPROCS(0)))
	for i := range w.Objects {
		o := &w.Objects[i]
		g.Go(func() error {
			sum, err := contentSHA256(o.Seed, o.Size)
			if err != nil {
				return err
			}
			o.SHA256 = sum
			_, err = mc.PutObject(ctx, bucket, o.Key, testenv.RandomReader(o.Seed, o.Size), o.Size, minio.PutObjectOptions{})
			if err != nil {
				return fmt.Errorf("upload %s: %w", o.Key, err)
			}
			return nil
		})
	}
	return g.Wait()
}

func contentSHA256(seed, size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, testenv.RandomReader(seed, size)); err != nil {
		return "", fmt.Errorf("hash seed %d: %w", seed, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
