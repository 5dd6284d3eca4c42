package downloader

import "sync"

// piece is a range being fetched by one worker. Bytes [start, pos) are
// written; [pos, resv) are being written now; end shrinks when another
// worker steals the tail. end is -1 while the size is unknown.
type piece struct {
	mu              sync.Mutex
	start, pos, end int64
	resv            int64
}

// reserve claims up to n bytes at pos and returns their offset and count;
// the count is short (maybe 0) where end was reached.
func (p *piece) reserve(n int) (off int64, k int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k = n
	if p.end >= 0 {
		k = int(min(int64(n), p.end-p.pos))
	}
	p.resv = p.pos + int64(k)
	return p.pos, k
}

// commit marks the reserved bytes written and reports whether the piece
// is complete.
func (p *piece) commit() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pos = p.resv
	return p.end >= 0 && p.pos >= p.end
}

// written is the span already on disk.
func (p *piece) written() span {
	p.mu.Lock()
	defer p.mu.Unlock()
	return span{p.start, p.pos}
}

// next is the first byte not yet written, and endNow the current end.
func (p *piece) next() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pos
}

func (p *piece) endNow() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.end
}

// setEnd fixes the end once the size is known.
func (p *piece) setEnd(end int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end = end
}

// left is how many bytes remain beyond what is written or being written.
func (p *piece) left() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.end < 0 {
		return 0
	}
	return p.end - max(p.pos, p.resv)
}

// split cuts the unreserved tail in two and returns the second half as a
// new piece, or nil when the tail is too small to be worth a connection.
// Cutting at or after resv means no byte is written twice.
func (p *piece) split(minPiece int64) *piece {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.end < 0 {
		return nil
	}
	mid := splitPoint(max(p.pos, p.resv), p.end, minPiece)
	if mid < 0 {
		return nil
	}
	tail := &piece{start: mid, pos: mid, resv: mid, end: p.end}
	p.end = mid
	return tail
}

// addPiece starts a piece for s and tracks it as in flight.
func (t *transfer) addPiece(s span) *piece {
	p := &piece{start: s.Start, pos: s.Start, resv: s.Start, end: s.End}
	t.mu.Lock()
	t.inflight = append(t.inflight, p)
	t.mu.Unlock()
	return p
}

// take returns the next planned piece, or else half of the piece in flight
// with the most bytes left, or nil when there is nothing to share. In
// sequential mode nothing is stolen, so bytes arrive in order.
func (t *transfer) take() *piece {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) > 0 {
		s := t.queue[0]
		t.queue = t.queue[1:]
		p := &piece{start: s.Start, pos: s.Start, resv: s.Start, end: s.End}
		t.inflight = append(t.inflight, p)
		return p
	}
	if t.conns == 1 {
		return nil
	}
	var victim *piece
	var most int64
	for _, p := range t.inflight {
		if l := p.left(); l > most {
			victim, most = p, l
		}
	}
	if victim == nil {
		return nil
	}
	p := victim.split(t.cfg.MinPiece)
	if p != nil {
		t.inflight = append(t.inflight, p)
	}
	return p
}

// release moves a piece's written bytes to done. What it did not write
// (after an error) goes back to the front of the queue.
func (t *transfer) release(p *piece) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, q := range t.inflight {
		if q == p {
			t.inflight = append(t.inflight[:i:i], t.inflight[i+1:]...)
			break
		}
	}
	w := p.written()
	t.landed = t.landed.add(w)
	if end := p.endNow(); end > w.End {
		t.queue = append([]span{{w.End, end}}, t.queue...)
	}
}
