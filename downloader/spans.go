package downloader

import "slices"

// span is the half-open byte range [Start, End) of a file.
type span struct {
	Start int64 `json:"s"`
	End   int64 `json:"e"`
}

func (s span) len() int64 { return s.End - s.Start }

// spans is a sorted list of disjoint, non-adjacent spans: the bytes of a
// file that are on disk.
type spans []span

// add returns the set with x merged in.
func (ss spans) add(x span) spans {
	if x.len() <= 0 {
		return ss
	}
	i, _ := slices.BinarySearchFunc(ss, x.Start, func(s span, off int64) int {
		switch {
		case s.End < off:
			return -1
		case s.Start > off:
			return 1
		}
		return 0
	})
	j := i
	for j < len(ss) && ss[j].Start <= x.End {
		x.Start = min(x.Start, ss[j].Start)
		x.End = max(x.End, ss[j].End)
		j++
	}
	return slices.Replace(ss, i, j, x)
}

// size is the number of bytes covered.
func (ss spans) size() int64 {
	var n int64
	for _, s := range ss {
		n += s.len()
	}
	return n
}

// endOfStretch is the end of the span that holds off, or off when none does.
func (ss spans) endOfStretch(off int64) int64 {
	for _, s := range ss {
		if s.Start <= off && off < s.End {
			return s.End
		}
	}
	return off
}

// gaps returns what [0, total) lacks, in order.
func (ss spans) gaps(total int64) []span {
	var out []span
	var at int64
	for _, s := range ss {
		if s.Start > at {
			out = append(out, span{at, min(s.Start, total)})
		}
		at = max(at, s.End)
	}
	if at < total {
		out = append(out, span{at, total})
	}
	return out
}

// plan cuts the gaps into pieces for conns connections: about one piece per
// connection, none smaller than minSize unless a gap itself is, and none
// larger than maxSize. Stealing balances the pieces later, so they need
// not be finer. The cap keeps the bytes on disk in one stretch from the
// start, growing while the file downloads: the connections work on
// neighbouring pieces, taken in order, so the digests can follow (catchUp)
// instead of reading most of a large file back at its end.
func plan(gaps []span, conns int, minSize, maxSize int64) []span {
	var remaining int64
	for _, g := range gaps {
		remaining += g.len()
	}
	target := max(minSize, min(maxSize, (remaining+int64(conns)-1)/int64(max(conns, 1))))
	var out []span
	for _, g := range gaps {
		for g.len() > 0 {
			n := g.len()
			if n >= target+target/2 {
				n = target
			}
			out = append(out, span{g.Start, g.Start + n})
			g.Start += n
		}
	}
	return out
}

// stealAlign keeps split points on page boundaries, which suits the disk.
const stealAlign = 64 << 10

// splitPoint returns where to cut a range whose next unwritten byte is from
// and whose end is end, or -1 when the rest is too small to share.
func splitPoint(from, end, minPiece int64) int64 {
	if end-from < 2*minPiece {
		return -1
	}
	mid := from + (end-from)/2
	mid -= mid % stealAlign
	if mid <= from || end-mid < minPiece/2 {
		return -1
	}
	return mid
}
