package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParseOptions(t *testing.T) {
	t.Parallel()
	o, err := parseOptions(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.rounds != 5 || o.warmup != 1 || o.scale != 1 || o.out != "bench-results" ||
		!slices.Equal(o.workloads, []string{"big", "order", "small"}) || !slices.Equal(o.contenders, contenderNames) {
		t.Errorf("defaults = %+v", o)
	}
	o, err = parseOptions([]string{"--workloads", "small,big", "--contenders", "curl,aria2c"}, io.Discard)
	if err != nil || !slices.Equal(o.workloads, []string{"small", "big"}) || !slices.Equal(o.contenders, []string{"curl", "aria2c"}) {
		t.Errorf("lists = %v, %v, %v; want them as given", o.workloads, o.contenders, err)
	}
}

func TestParseOptionsRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--rounds", "0"}, "--rounds"},
		{[]string{"--warmup", "-1"}, "--warmup"},
		{[]string{"--scale", "0"}, "--scale"},
		{[]string{"--workloads", "huge"}, `unknown workload "huge"`},
		{[]string{"--contenders", "wget"}, `unknown contender "wget"`},
		{[]string{"--contenders", "curl,curl"}, "given twice"},
		{[]string{"--workloads", ","}, "at least one workload"},
		{[]string{"extra"}, "flags only"},
	}
	for _, tt := range tests {
		_, err := parseOptions(tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseOptions(%q) = %v, want an error about %s", tt.args, err, tt.want)
		}
	}
}

// TestScaledWorkloads checks the smoke scale keeps each workload's
// character: the big object shrinks, the others keep their file size and
// lose files, never below two.
func TestScaledWorkloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scale float64
		files []int
		sizes []int64
	}{
		{1, []int{1, 200, 2000}, []int64{1 << 30, 8 << 20, 64 << 10}},
		{0.01, []int{1, 2, 20}, []int64{10737418, 8 << 20, 64 << 10}},
		{0.001, []int{1, 2, 2}, []int64{1073742, 8 << 20, 64 << 10}},
	}
	for _, tt := range tests {
		ws := buildWorkloads(workloadNames(), tt.scale)
		for i, w := range ws {
			if w.Files != tt.files[i] || w.FileBytes != tt.sizes[i] || len(w.Objects) != w.Files || w.TotalBytes != int64(w.Files)*w.FileBytes {
				t.Errorf("scale %g, %s: %d × %d bytes (%d objects), want %d × %d", tt.scale, w.Name, w.Files, w.FileBytes, len(w.Objects), tt.files[i], tt.sizes[i])
			}
		}
	}
	ws := buildWorkloads([]string{"order"}, 1)
	if o := ws[0].Objects[199]; o.Key != "order/chip-0200.zip" || o.Name != "chip-0200.zip" {
		t.Errorf("last order object = %+v, want key order/chip-0200.zip", o)
	}
}
