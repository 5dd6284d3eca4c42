// Package wan puts an emulated wide-area link in front of a TCP server on
// loopback, so that a download benchmark or a chaos test meets what a
// customer's long path does to it: every connection is held back by the
// round trip and by its own window, and the customer's line caps the sum.
//
//	r, err := wan.Start("127.0.0.1:9000", wan.RTT60) // MinIO's address
//	defer r.Close()
//	url := "http://" + r.Addr() + "/bucket/key?…"  // sign URLs for r.Addr()
//
// Each accepted connection is relayed to the upstream address by two
// pumps, one per direction. A pump reads what one side sent, holds it
// back by two token buckets (the connection's rate, then the line's,
// shared by every connection in that direction), and delivers it to the
// other side RTT/2 later, in order. A new connection pays the TCP
// handshake too: the kernel completes the client's connect at once on
// loopback, so the relay delivers nothing upstream before a full round
// trip has passed since the accept. A tiny request's first byte of
// answer thus arrives two round trips after connect, as on a real path,
// and a TLS handshake adds its own round trip.
//
// What it does not model: TCP slow start, loss and reordering. The rate
// cap stands for a connection's window over the round trip, reached at
// once. Rates are in bytes per second; zero means no cap.
package wan
