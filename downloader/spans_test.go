package downloader

import (
	"slices"
	"testing"
)

func TestSpansAdd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   spans
		add  span
		want spans
	}{
		{"adds to an empty set", nil, span{0, 10}, spans{{0, 10}}},
		{"ignores an empty span", spans{{0, 10}}, span{5, 5}, spans{{0, 10}}},
		{"merges a touching span after", spans{{0, 10}}, span{10, 20}, spans{{0, 20}}},
		{"merges a touching span before", spans{{10, 20}}, span{0, 10}, spans{{0, 20}}},
		{"keeps a gap", spans{{0, 10}}, span{11, 20}, spans{{0, 10}, {11, 20}}},
		{"bridges two spans", spans{{0, 10}, {20, 30}}, span{10, 20}, spans{{0, 30}}},
		{"swallows spans it covers", spans{{5, 6}, {8, 9}, {40, 50}}, span{0, 10}, spans{{0, 10}, {40, 50}}},
		{"inserts in the middle", spans{{0, 10}, {40, 50}}, span{20, 30}, spans{{0, 10}, {20, 30}, {40, 50}}},
		{"overlaps partly", spans{{0, 10}, {20, 30}}, span{5, 25}, spans{{0, 30}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := append(spans(nil), tt.in...).add(tt.add)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%v.add(%v) = %v, want %v", tt.in, tt.add, got, tt.want)
			}
		})
	}
}

func TestSpansGaps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    spans
		total int64
		want  []span
	}{
		{nil, 100, []span{{0, 100}}},
		{spans{{0, 100}}, 100, nil},
		{spans{{10, 20}, {50, 60}}, 100, []span{{0, 10}, {20, 50}, {60, 100}}},
		{spans{{0, 20}}, 0, nil},
	}
	for _, tt := range tests {
		if got := tt.in.gaps(tt.total); !slices.Equal(got, tt.want) {
			t.Errorf("%v.gaps(%d) = %v, want %v", tt.in, tt.total, got, tt.want)
		}
	}
}

func TestPlanCoversEveryGapExactlyOnce(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	tests := []struct {
		name    string
		gaps    []span
		conns   int
		min     int64
		max     int64
		wantLen int
	}{
		{"a small file gets one piece", []span{{0, 100 << 10}}, 8, mib, 16 * mib, 1},
		{"a large file gets one piece per connection", []span{{0, 80 * mib}}, 8, mib, 16 * mib, 8},
		{"pieces are not smaller than the minimum", []span{{0, 3 * mib}}, 8, mib, 16 * mib, 3},
		{"pieces are not larger than the maximum", []span{{0, 800 * mib}}, 8, mib, 16 * mib, 50},
		{"one connection gets one piece per gap", []span{{0, 10}, {20, 90 * mib}}, 1, mib, 128 * mib, 2},
		{"gaps are split separately", []span{{0, 400 * mib}, {500 * mib, 900 * mib}}, 8, mib, 128 * mib, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := plan(tt.gaps, tt.conns, tt.min, tt.max)
			if len(got) != tt.wantLen {
				t.Errorf("plan gave %d pieces, want %d: %v", len(got), tt.wantLen, got)
			}
			var covered spans
			var n int64
			for _, p := range got {
				covered = covered.add(p)
				n += p.len()
			}
			var want spans
			for _, g := range tt.gaps {
				want = want.add(g)
			}
			if !slices.Equal(covered, want) || n != want.size() {
				t.Errorf("plan covers %v (%d bytes), want %v exactly once", covered, n, want)
			}
		})
	}
}

func TestPieceSplitNeverCutsReservedBytes(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	p := &piece{start: 0, pos: 0, resv: 0, end: 64 * mib}
	off, k := p.reserve(bufSize)
	if off != 0 || k != bufSize {
		t.Fatalf("reserve = %d, %d; want 0, %d", off, k, bufSize)
	}
	tail := p.split(mib)
	if tail == nil {
		t.Fatal("a 64 MiB piece was not split")
	}
	if tail.start < int64(bufSize) || tail.start%stealAlign != 0 || tail.end != 64*mib || p.endNow() != tail.start {
		t.Errorf("split gave head [0,%d) tail [%d,%d)", p.endNow(), tail.start, tail.end)
	}
	small := &piece{start: 0, pos: 0, resv: 0, end: mib}
	if small.split(mib) != nil {
		t.Error("a piece smaller than two minimum pieces was split")
	}
	if (&piece{end: -1}).split(mib) != nil {
		t.Error("a piece of unknown size was split")
	}
}

func TestPieceReserveStopsAtAShrunkEnd(t *testing.T) {
	t.Parallel()
	p := &piece{start: 100, pos: 100, resv: 100, end: 150}
	if _, k := p.reserve(80); k != 50 {
		t.Errorf("reserve(80) with 50 left = %d", k)
	}
	if !p.commit() {
		t.Error("commit at the end did not report the piece complete")
	}
	if _, k := p.reserve(80); k != 0 {
		t.Errorf("reserve past the end = %d, want 0", k)
	}
}

func TestParseContentRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in                 string
		first, last, total int64
		ok                 bool
	}{
		{"bytes 0-0/10", 0, 0, 10, true},
		{"bytes 5-9/10", 5, 9, 10, true},
		{"bytes 5-10/10", 0, 0, 0, false},
		{"bytes */10", 0, 0, 0, false},
		{"bytes 0-1/*", 0, 0, 0, false},
		{"items 0-1/10", 0, 0, 0, false},
		{"", 0, 0, 0, false},
		{"bytes 9-5/10", 0, 0, 0, false},
	}
	for _, tt := range tests {
		f, l, tot, err := parseContentRange(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (f != tt.first || l != tt.last || tot != tt.total)) {
			t.Errorf("parseContentRange(%q) = %d, %d, %d, %v", tt.in, f, l, tot, err)
		}
	}
}

func TestEtagMD5(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`"d41d8cd98f00b204e9800998ecf8427e"`:   "d41d8cd98f00b204e9800998ecf8427e",
		`"D41D8CD98F00B204E9800998ECF8427E"`:   "d41d8cd98f00b204e9800998ecf8427e",
		`"d41d8cd98f00b204e9800998ecf8427e-3"`: "",
		`W/"d41d8cd98f00b204e9800998ecf8427e"`: "",
		`"abc"`:                                "",
		"":                                     "",
	}
	for in, want := range tests {
		if got := etagMD5(in); got != want {
			t.Errorf("etagMD5(%q) = %q, want %q", in, got, want)
		}
	}
}
