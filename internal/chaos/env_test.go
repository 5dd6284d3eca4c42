package chaos

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"dlhelper/internal/testenv"
)

// env is the world every scenario runs in:
//
//	client ──▶ toxiproxy (proxy.Listen) ──▶ relay (counts bytes) ──▶ MinIO
//
// URLs are presigned for the proxy's address, since SigV4 signs the Host
// header the client sends.
type env struct {
	p     params
	mc    *testenv.MinIO
	tp    *Toxiproxy
	proxy *Proxy
	relay *Relay
	order []object
	total int64 // sum of the object sizes
}

// object is one file of the order.
type object struct {
	Key, Name, URL, SHA256 string
	Size                   int64
}

func newEnv(t *testing.T, p params) *env {
	t.Helper()
	bin := toxiproxyForTest(t)
	e := &env{p: p, mc: testenv.StartMinIO(t)}
	relay, err := NewRelay(e.mc.Endpoint)
	if err != nil {
		t.Fatalf("relay: %v", err)
	}
	t.Cleanup(relay.Close)
	e.relay = relay
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tp, err := StartToxiproxy(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tp.Kill()
		if t.Failed() {
			t.Logf("toxiproxy output:\n%s", tp.Output())
		}
	})
	e.tp = tp
	if e.proxy, err = tp.CreateProxy(ctx, "minio", relay.Addr); err != nil {
		t.Fatal(err)
	}
	e.upload(t)
	return e
}

// toxiproxyForTest finds the pinned server. In CI the setup step must
// have installed it; elsewhere the first run installs it. Never a skip.
func toxiproxyForTest(t *testing.T) string {
	t.Helper()
	if bin, ok := InstalledToxiproxy(); ok {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("toxiproxy %s is not installed in %s; CI must run `%s` (GOBIN=… go install %s@%s) before the tests",
			ToxiproxyVersion, testenv.ToolsDir(), InstallCommand, ToxiproxyModule, ToxiproxyVersion)
	}
	t.Logf("installing toxiproxy %s into %s (about a minute, once)", ToxiproxyVersion, testenv.ToolsDir())
	bin, err := ToxiproxyBinary()
	if err != nil {
		t.Fatalf("toxiproxy could not be installed: %v", err)
	}
	return bin
}

// upload puts the order into MinIO directly and presigns each object
// against the proxy. Sizes spread over [minSize, maxSize) so files take
// one to several ranges.
func (e *env) upload(t *testing.T) {
	t.Helper()
	e.mc.MakeBucket(t, "orders")
	signer, err := minio.New(e.proxy.Listen, &minio.Options{
		Creds:  credentials.NewStaticV4(testenv.AccessKey, testenv.SecretKey, ""),
		Region: "us-east-1", // no location lookup: signing stays offline
	})
	if err != nil {
		t.Fatal(err)
	}
	span := e.p.maxSize - e.p.minSize
	for i := range e.p.objects {
		size := e.p.minSize + int64(uint64(i)*2654435761%uint64(span))
		data := testenv.RandomData(int64(1000+i), int(size))
		o := object{Key: fmt.Sprintf("order/chip-%03d.zip", i), Name: fmt.Sprintf("chip-%03d.zip", i), Size: size, SHA256: testenv.SHA256Hex(data)}
		e.mc.Put(t, "orders", o.Key, data)
		u, err := signer.PresignedGetObject(t.Context(), "orders", o.Key, 24*time.Hour, nil)
		if err != nil {
			t.Fatalf("presign %s: %v", o.Key, err)
		}
		o.URL = u.String()
		e.order = append(e.order, o)
		e.total += size
	}
}

// resetProxy restarts the proxy with just toxics (none: a clean one), so
// every scenario starts from a proxy no earlier scenario touched.
func (e *env) resetProxy(t *testing.T, toxics ...Toxic) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	e.proxy.SetToxics(toxics)
	if err := e.tp.Restart(ctx); err != nil {
		t.Fatalf("reset the proxy: %v", err)
	}
}

// inflightBound is the most a fault may cost: every active file whole,
// which covers every range those files had in flight.
func (e *env) inflightBound() int64 { return activeFiles * e.p.maxSize }

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
