// Command portal-demo is a reference portal for dlhelper: the smallest
// server a real portal needs to hand an order to the customer's helper.
//
// It connects to MinIO, creates a bucket, uploads a sample order (N chip
// archives, each a real zip of 24 .dloc files of random content) and serves
// a page that lists the order with "Download with helper", per-file and
// total progress bars, and plain links as the fallback. After a (demo)
// login its server signs one presigned GET URL per archive, and it has the
// re-sign endpoint the SDK's refreshUrl calls when a link expires:
//
//	portal-demo --minio 127.0.0.1:9000 --chips 6 --chip-size 8MiB --expiry 20s
//	dlhelper serve --allow-origin http://127.0.0.1:8080
//
// Then open http://127.0.0.1:8080, sign in and click "Download with helper".
// With --expiry 20s the links expire mid-download and the page renews them
// without a click.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults match the test harness (internal/testenv), so the demo runs
// against a harness MinIO without flags. They are repeated here rather than
// imported: testenv is test code and pulls in package testing.
const (
	defaultAccessKey = "dlhelper"
	defaultSecretKey = "dlhelper-secret"
)

type options struct {
	MinIO, AccessKey, SecretKey, Bucket string
	Chips                               int
	ChipSize                            int64
	Seed                                int64
	Expiry                              time.Duration
	Addr                                string
	HelperPorts                         []int
	Installer                           string
	Dist                                string // make dist's folder, offered by system
	Order                               string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "portal-demo: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, o, log); err != nil {
		fmt.Fprintf(stderr, "portal-demo: %v\n", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("portal-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.MinIO, "minio", "127.0.0.1:9000", "MinIO endpoint, host:port")
	fs.StringVar(&o.AccessKey, "access-key", defaultAccessKey, "MinIO access key")
	fs.StringVar(&o.SecretKey, "secret-key", defaultSecretKey, "MinIO secret key")
	fs.StringVar(&o.Bucket, "bucket", "portal-demo", "bucket for the sample order (created if missing)")
	fs.StringVar(&o.Order, "order", "DL-2026-0042", "order number shown on the page and used as the download folder")
	fs.IntVar(&o.Chips, "chips", 6, "chip archives in the order")
	size := fs.String("chip-size", "8MiB", "size of each chip archive (bytes, or with KiB, MiB, GiB)")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of the random content; the same seed makes the same archives")
	fs.DurationVar(&o.Expiry, "expiry", time.Hour, "how long a signed URL stays valid (e.g. 20s to watch links renew)")
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to serve the portal on")
	ports := fs.String("helper-ports", "17315-17319", "ports the page probes for dlhelper: a range A-B or a list A,B")
	fs.StringVar(&o.Installer, "installer-url", "", "where the page sends a customer without dlhelper (none: the page says to ask support)")
	fs.StringVar(&o.Dist, "dist", "", "folder of \"make dist\" packages; the page offers the visitor's system's (before -installer-url)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("portal-demo takes only flags; got %q", fs.Arg(0))
	}
	var err error
	if o.ChipSize, err = parseSize(*size); err != nil {
		return o, fmt.Errorf("--chip-size: %w", err)
	}
	if o.HelperPorts, err = parsePorts(*ports); err != nil {
		return o, fmt.Errorf("--helper-ports: %w", err)
	}
	switch {
	case o.Chips < 1 || o.Chips > 1000:
		return o, fmt.Errorf("--chips must be 1-1000, not %d", o.Chips)
	case o.ChipSize < minChipSize:
		return o, fmt.Errorf("--chip-size must be at least %d bytes (24 files and the zip's own records)", minChipSize)
	case o.Expiry < time.Second || o.Expiry > 7*24*time.Hour:
		return o, fmt.Errorf("--expiry must be between 1s and 7 days (S3's limits), not %v", o.Expiry)
	}
	return o, nil
}

// parseSize reads "1048576", "512KiB", "8MiB", "2GiB" (KB, MB, GB are read
// as the binary units too).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}}
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size; write e.g. 8MiB", s)
	}
	return n * mult, nil
}

func parsePorts(s string) ([]int, error) {
	var out []int
	if a, b, ok := strings.Cut(s, "-"); ok {
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || hi < lo || hi-lo > 20 {
			return nil, fmt.Errorf("%q is not a port range like 17315-17319", s)
		}
		for p := lo; p <= hi; p++ {
			out = append(out, p)
		}
		return out, nil
	}
	for f := range strings.SplitSeq(s, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%q is not a port list like 17315,17316", s)
		}
		out = append(out, p)
	}
	return out, nil
}

// serve prepares the order and serves the portal until ctx ends.
func serve(ctx context.Context, o options, log *slog.Logger) error {
	store, err := newStore(o)
	if err != nil {
		return err
	}
	log.Info("preparing the sample order", "minio", o.MinIO, "bucket", o.Bucket, "chips", o.Chips, "bytes", o.ChipSize)
	order, err := store.prepare(ctx, log)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	p := newPortal(o, store, order, log)
	srv := &http.Server{Handler: p.routes(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	log.Info("portal-demo is serving", "url", "http://"+l.Addr().String(), "expiry", o.Expiry)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
