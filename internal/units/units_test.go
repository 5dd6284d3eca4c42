package units

import "testing"

func TestSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{-1, "0 B"}, {0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{10 << 20, "10 MiB"}, {1023 << 20, "1023 MiB"}, {1048064 << 10, "1.0 GiB"},
		{3 << 40, "3.0 TiB"}, {1 << 62, "4.0 EiB"},
	} {
		if got := Size(tc.n); got != tc.want {
			t.Errorf("Size(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got, want := Rate(42<<20), "42 MiB/s"; got != want {
		t.Errorf("Rate(42 MiB) = %q, want %q", got, want)
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bps  int64
		want string
	}{
		{-5, "0 B/s"}, {0, "0 B/s"}, {1023, "1023 B/s"}, {1024, "1.0 KiB/s"}, {4_404_019, "4.2 MiB/s"},
		{42 << 20, "42 MiB/s"}, {1023 << 10, "1023 KiB/s"}, {1048064, "1.0 MiB/s"}, {1_610_612_736, "1.5 GiB/s"},
	}
	for _, tt := range tests {
		if got := Rate(tt.bps); got != tt.want {
			t.Errorf("Rate(%d) = %q, want %q", tt.bps, got, tt.want)
		}
	}
}
