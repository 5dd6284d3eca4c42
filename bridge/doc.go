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
//	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
//	go srv.Serve(l)
//	…
//	srv.Shutdown(ctx) // stops new requests
//	s.Close()         // ends WebSocket streams, which Shutdown leaves open
//	m.Close()
//
// Every request passes named layers in order (middleware.go): security
// headers; a Host check (421 unless 127.0.0.1:PORT, localhost:PORT or
// [::1]:PORT, against DNS rebinding); an Origin check (a browser page must
// come from an allowed origin or the helper's own, else 403; CORS
// preflights are answered here); the token (a caller without Origin must
// send "Authorization: Bearer TOKEN", except for /v1/hello and the status
// page); and a body limit (413 over MaxBodyBytes). Handlers then decode
// strictly (unknown fields, trailing data, duplicate keys are 400s naming
// the field) and leave every rule about names, URLs and states to the
// Manager, whose errors map to 400, 404 and 409.
//
// The contract a caller keeps: serve Handler only on a listener from
// Listen (loopback), with Options.Port set to its port; call Close after
// http.Server.Shutdown and before closing the Manager.
package bridge
