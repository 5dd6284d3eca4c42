// Package units writes byte counts and rates the one way dlhelper shows
// them, in Go and JS alike (web/sdk/format.js): binary units with their IEC
// names, "4.2 MiB", "42 MiB/s". The engine, its settings and the speed
// limit all count in MiB, and "MiB" says what is divided by 1024.
package units

import "fmt"

// Rate writes bytes per second: "950 B/s", "4.2 MiB/s", "42 MiB/s".
func Rate(bps int64) string { return Size(bps) + "/s" }

// Size writes a byte count: "950 B", "4.2 MiB", "1.5 GiB".
func Size(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", max(n, 0))
	}
	v, i := float64(n)/1024, 0
	for v >= 1023.5 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 9.95 {
		return fmt.Sprintf("%.1f %ciB", v, units[i])
	}
	return fmt.Sprintf("%.0f %ciB", v, units[i])
}
