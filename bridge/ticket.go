package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dlhelper/downloader"
)

// Orders the helper fetches itself. Instead of the files, a page hands over
// a ticket: a URL on its own portal that serves the order's manifest (see
// API.md, "Orders by ticket"). dlhelper reads the manifest, runs the job,
// and when a link expires asks the manifest's refresh endpoint itself, with
// the token scoped to that order, so the order finishes after the tab or
// the browser closed. A ticket also travels in a dlhelper://order link, for
// a page that cannot reach 127.0.0.1 at all; an order of a portal not
// trusted yet then waits for the user's answer (trust.go), which names its
// size and file count.

// Codes of the order endpoints.
const (
	CodeTicketFailed = "ticket_failed" // 502: the portal did not serve the ticket's manifest
	CodeBadManifest  = "bad_manifest"  // 502: the manifest breaks the contract (API.md, "Orders by ticket")
)

// Limits of what a manifest may make the helper hold or fetch.
const (
	maxManifestBytes = MaxBodyBytes
	maxManifestFile  = 1 << 44 // 16 TiB: more is a hostile or broken manifest
	minOrderToken    = 16
	maxOrderToken    = 512
	manifestTimeout  = 30 * time.Second
	portalCallTimout = 30 * time.Second
)

// Manifest is what a ticket URL serves.
type Manifest struct {
	Version int           `json:"version"` // 1
	Name    string        `json:"name"`
	Folder  string        `json:"folder"`
	Files   []fileRequest `json:"files"`
	// Token authorizes Refresh and Progress for this order only.
	Token string `json:"token"`
	// Refresh answers POST {"name": FILE} with {"url": FRESH_URL}.
	Refresh string `json:"refresh"`
	// Progress, when set, receives the order's progress now and then.
	Progress string `json:"progress,omitempty"`
}

var manifestKeys = map[string]bool{
	"version": true, "name": true, "folder": true, "files": true, "token": true, "refresh": true, "progress": true,
	"url": true, "size": true, "sha256": true, "md5": true, // of files[]
}

// secureURL reports whether u may carry an order's links or tokens: https,
// or http to a loopback host (a portal under development, a local MinIO).
func secureURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return u.Scheme == "http" && (host == "localhost" || (ip != nil && ip.IsLoopback()))
}

// originOf is the origin of an absolute URL, as NormalizeOrigin writes it.
func originOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%.100q is not an absolute URL", raw)
	}
	return NormalizeOrigin(u.Scheme + "://" + u.Host)
}

// checkTicket checks a ticket URL and returns its origin.
func checkTicket(ticket string) (string, error) {
	if len(ticket) > MaxURLBytes || !secureURL(ticket) {
		return "", invalid("ticket: must be an https:// URL (http:// only on localhost) of at most %d bytes", MaxURLBytes)
	}
	origin, err := originOf(ticket)
	if err != nil {
		return "", invalid("ticket: %v", err)
	}
	return origin, nil
}

// decodeManifest checks a manifest from origin as strictly as a job from
// a page (names, URLs, checksums, allowed hosts: decodeJob), and more: its
// links must be secure, its endpoints on the portal's own origin, its
// sizes believable.
func decodeManifest(data []byte, origin string, hosts hostList) (Manifest, downloader.JobSpec, error) {
	var m Manifest
	if err := decodeStrict(data, &m, manifestKeys); err != nil {
		return m, downloader.JobSpec{}, err
	}
	switch {
	case m.Version != 1:
		return m, downloader.JobSpec{}, invalid("version: this dlhelper reads manifest version 1, not %d; update dlhelper", m.Version)
	case len(m.Token) < minOrderToken || len(m.Token) > maxOrderToken || strings.ContainsFunc(m.Token, func(r rune) bool { return r <= ' ' || r > '~' }):
		return m, downloader.JobSpec{}, invalid("token: must be %d to %d printable ASCII characters", minOrderToken, maxOrderToken)
	}
	for field, u := range map[string]string{"refresh": m.Refresh, "progress": m.Progress} {
		if u == "" && field == "progress" {
			continue
		}
		if o, err := originOf(u); err != nil || o != origin || len(u) > MaxURLBytes {
			return m, downloader.JobSpec{}, invalid("%s: must be a URL on the portal's own origin %s", field, origin)
		}
	}
	for i, f := range m.Files {
		if !secureURL(f.URL) {
			return m, downloader.JobSpec{}, invalid("files[%d] (%.100q): url: must be https:// (http:// only on localhost)", i, f.Name)
		}
		if f.Size < 0 || f.Size > maxManifestFile {
			return m, downloader.JobSpec{}, invalid("files[%d] (%.100q): size: must be 0 to %d bytes", i, f.Name, int64(maxManifestFile))
		}
	}
	job, _ := json.Marshal(jobRequest{Name: m.Name, Folder: m.Folder, Files: m.Files})
	spec, err := decodeJob(job, hosts)
	if err != nil {
		return m, spec, err
	}
	spec.Origin = origin // the Manager checks the sum of the sizes against the disk
	return m, spec, nil
}

// portalClient calls portals: no cookies, no redirects (a ticket, a
// refresh or a progress URL answers itself, or not at all), bounded time.
var portalClient = &http.Client{
	Timeout:       portalCallTimout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// fetchManifest reads and checks the order a ticket names.
func (s *Server) fetchManifest(ctx context.Context, ticket, origin string) (Manifest, downloader.JobSpec, error) {
	ctx, cancel := context.WithTimeout(ctx, manifestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ticket, nil)
	if err != nil {
		return Manifest{}, downloader.JobSpec{}, invalid("ticket: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := portalClient.Do(req)
	if err != nil {
		return Manifest{}, downloader.JobSpec{}, newError(http.StatusBadGateway, CodeTicketFailed,
			"dlhelper could not read the order from %s (%v); check the connection, then try again", origin, cleanURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Manifest{}, downloader.JobSpec{}, newError(http.StatusBadGateway, CodeTicketFailed,
			"the portal %s refused the order's ticket (HTTP %d); it may have been used or expired: start the download again from the portal", origin, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestBytes+1))
	if err != nil {
		return Manifest{}, downloader.JobSpec{}, newError(http.StatusBadGateway, CodeTicketFailed, "dlhelper could not read the order from %s (%v)", origin, cleanURLError(err))
	}
	if len(data) > maxManifestBytes {
		return Manifest{}, downloader.JobSpec{}, newError(http.StatusBadGateway, CodeTicketFailed, "the order from %s is larger than %d MiB", origin, maxManifestBytes>>20)
	}
	m, spec, err := decodeManifest(data, origin, s.urls)
	var ae *apiError
	if errors.As(err, &ae) {
		return m, spec, newError(http.StatusBadGateway, CodeBadManifest, "the order from %s is not valid: %s", origin, ae.Message)
	}
	return m, spec, err
}

// cleanURLError drops the URL from a client error: a ticket is a secret.
func cleanURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

type orderBody struct {
	Ticket string `json:"ticket"`
}

var orderKeys = map[string]bool{"ticket": true}

// postOrder is POST /v1/orders: a ticket handed over by a trusted page
// (its own portal's only) or by the local user (a dlhelper://order link).
func (s *Server) postOrder(c echo.Context) error {
	who := callerOf(c)
	if who.origin == anonymous {
		return newError(http.StatusForbidden, CodeForbidden, "only a portal's page or dlhelper's own tools hand over orders")
	}
	data, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var b orderBody
	if err := decodeStrict(data, &b, orderKeys); err != nil {
		return err
	}
	res, err := s.SubmitTicket(c.Request().Context(), b.Ticket, who.origin)
	if err != nil {
		return err
	}
	if res.State == "pending" {
		return c.JSON(http.StatusAccepted, res)
	}
	return c.JSON(http.StatusCreated, res)
}

// orderView is an order as GET /v1/orders shows it: never its token.
type orderView struct {
	Job    string `json:"job"`
	Origin string `json:"origin"`
	Error  string `json:"error,omitempty"`
}

// listOrders is GET /v1/orders: the orders by ticket the caller may see,
// with why dlhelper stopped renewing their links, if it did.
func (s *Server) listOrders(c echo.Context) error {
	who := callerOf(c)
	s.orders.mu.Lock()
	out := []orderView{}
	for _, r := range s.orders.byJob {
		if !who.portal() || r.Origin == who.origin {
			out = append(out, orderView{Job: r.Job, Origin: r.Origin, Error: r.Error})
		}
	}
	s.orders.mu.Unlock()
	slices.SortFunc(out, func(a, b orderView) int { return strings.Compare(a.Job, b.Job) })
	return c.JSON(http.StatusOK, map[string]any{"orders": out})
}
