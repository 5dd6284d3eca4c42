// Package bridge is the local HTTP and WebSocket server a portal page
// talks to: it turns requests into calls of a downloader Manager and the
// Manager's events into WebSocket messages, and it decides who may talk.
// API.md in this folder is the public contract, with every endpoint,
// message and error.
//
// A program wires it like this:
//
//	l, err := bridge.Listen("127.0.0.1:17315", bridge.PortTries)
//	token, err := bridge.LoadOrCreateToken(stateDir)
//	s := bridge.New(bridge.Options{Manager: m, Token: token, Port: port,
//		AllowedOrigins: []string{"https://portal.example.com"}, StatusFS: web.Status()})
//	srv := s.HTTPServer(errorLog) // timeouts and header limit (Limits)
//	go srv.Serve(s.Guard(l))      // other users refused, connections capped
//	…
//	srv.Shutdown(ctx) // stops new requests
//	s.Close()         // ends WebSocket streams, which Shutdown leaves open
//	m.Close()
//
// Guard closes connections of other users of the machine as they are
// accepted (Linux, Windows; peer_*.go). Every request then passes named
// layers in order (middleware.go): security
// headers; a Host check (421 unless 127.0.0.1:PORT, localhost:PORT or
// [::1]:PORT, against DNS rebinding); an Origin check (a browser page must
// come from an allowed origin or the helper's own, else 403; CORS
// preflights are answered here); auth (an allowed portal's page acts for
// its origin and sees its own jobs only, scope.go; anyone else must send
// "Authorization: Bearer TOKEN" or the status page's session cookie,
// session.go, except for /v1/hello, /login and the status page's files);
// and a body limit (413 over MaxBodyBytes). Portal pages can check they
// reached this helper through pairing (pairing.go). Handlers then decode
// strictly (unknown fields, trailing data, duplicate keys are 400s naming
// the field) and leave every rule about names, URLs and states to the
// Manager, whose errors map to 400, 404 and 409.
//
// The contract a caller keeps: serve HTTPServer only on Guard(l) for a
// listener l from Listen (loopback), with Options.Port set to its port;
// open the status page only at StatusPageURL(); call Close after
// http.Server.Shutdown and before closing the Manager.
package bridge
