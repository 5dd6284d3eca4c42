package netstate

import "testing"

func TestWindowsNetworkCostsThatAreMetered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cost uint32
		want bool
	}{
		{"unknown", 0, false},
		{"unrestricted (Ethernet, home Wi-Fi)", costUnrestricted, false},
		{"a capped plan", costFixed, true},
		{"paid by the byte", costVariable, true},
		{"a capped plan over its limit", costFixed | costOverDataLimit, true},
		{"roaming", costVariable | costRoaming, true},
		{"congested but unrestricted", costUnrestricted | 0x20000, false},
	} {
		if got := costMetered(tc.cost); got != tc.want {
			t.Errorf("%s (%#x): metered = %v; want %v", tc.name, tc.cost, got, tc.want)
		}
	}
}
