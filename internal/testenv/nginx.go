package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// NginxBinary is Debian's nginx (package nginx, installed by .ci/setup).
const NginxBinary = "/usr/sbin/nginx"

// Nginx is Debian's nginx serving a folder of files on loopback, the way
// a CDN or a plain web server hands out downloads: Range support, and an
// ETag of the file's mtime and size ("5f1e2d3c-1a2b"), never an MD5.
type Nginx struct {
	// URL is "http://127.0.0.1:port"; a file at Root/a/b is URL/a/b.
	URL string
	// Root is the folder served.
	Root string

	output *tailBuffer
}

// nginxConf runs nginx as one foreground process of the user who starts
// it: with master_process off no worker switches to another user, and
// every path (pid, temp folders, logs) is inside the test's folder, so
// nothing of the system's nginx (/etc/nginx, /var/log/nginx) is touched.
const nginxConf = `daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
	access_log off;
	log_not_found off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	default_type application/octet-stream;
	server {
		listen %[2]s;
		root %[3]s;
	}
}
`

// StartNginx serves root with nginx on a free loopback port until the
// test ends. A missing nginx fails the test with the command to install it.
func StartNginx(t testing.TB, root string) *Nginx {
	t.Helper()
	if _, err := os.Stat(NginxBinary); err != nil {
		t.Fatalf("nginx is not installed (%v); run .ci/setup, or apt-get install nginx", err)
	}
	var err error
	for range startTries {
		var n *Nginx
		if n, err = startNginx(t, root); err == nil {
			return n
		}
		if !errors.Is(err, errExited) {
			break
		}
	}
	t.Fatalf("nginx for the test did not start: %v", err)
	return nil
}

// startNginx is one attempt on one free port; errExited means the port
// was taken between our probe and nginx's bind.
func startNginx(t testing.TB, root string) (*Nginx, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	prefix := t.TempDir()
	conf := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, prefix, addr, root), 0o644); err != nil {
		return nil, err
	}
	n := &Nginx{URL: "http://" + addr, Root: root, output: &tailBuffer{}}
	// -e sets the error log before the configuration is read; without it
	// nginx first opens /var/log/nginx/error.log.
	cmd := exec.Command(NginxBinary, "-p", prefix, "-c", conf, "-e", "stderr")
	cmd.Stdout, cmd.Stderr = n.output, n.output
	cmd.SysProcAttr = DieWithTest()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() { cmd.Process.Kill(); <-done }
	if err := waitHTTP(n.URL+"/.harness-probe", cmd.Process.Pid, done); err != nil {
		stop()
		return nil, fmt.Errorf("nginx on %s: %w; it said:\n%s", addr, err, n.output.String())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("nginx output:\n%s", n.output.String())
		}
	})
	return n, nil
}

// freePort returns a free 127.0.0.1 port as host:port. It is free when
// returned, not reserved: a server that fails to bind it is retried.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitHTTP polls url until process pid listens on its port and any HTTP
// answer comes, the process ends (errExited) or startTimeout passes. The
// port check keeps a neighbour that took the port from passing for ours.
func waitHTTP(url string, pid int, exited <-chan struct{}) error {
	u, err := neturl.Parse(url)
	if err != nil {
		return err
	}
	port, _ := strconv.Atoi(u.Port())
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if listensOn(pid, port) {
			if resp, err := hc.Do(req); err == nil {
				resp.Body.Close()
				return nil
			}
		}
		select {
		case <-exited:
			return errExited
		case <-ctx.Done():
			return fmt.Errorf("no answer from %s: %w", url, context.Cause(ctx))
		case <-time.After(pollEvery):
		}
	}
}
