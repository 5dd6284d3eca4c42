package wan

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MiB is a mebibyte, the unit the profiles are written in.
const MiB = 1 << 20

// Profile is one emulated link.
type Profile struct {
	Name     string        `json:"name"`
	RTT      time.Duration `json:"rtt_ns"`
	ConnRate int64         `json:"conn_bytes_per_s"` // per connection and direction; 0 is no cap
	LineRate int64         `json:"line_bytes_per_s"` // all connections, per direction; 0 is no cap
}

// The profiles of issue 21: a customer across a continent and one across
// the world.
var (
	RTT60  = Profile{Name: "rtt60", RTT: 60 * time.Millisecond, ConnRate: 4 * MiB, LineRate: 50 * MiB}
	RTT200 = Profile{Name: "rtt200", RTT: 200 * time.Millisecond, ConnRate: 2 * MiB, LineRate: 25 * MiB}
)

// Profiles are the named profiles, for command-line flags.
var Profiles = []Profile{RTT60, RTT200}

// Lookup finds a profile by name.
func Lookup(name string) (Profile, error) {
	i := slices.IndexFunc(Profiles, func(p Profile) bool { return p.Name == name })
	if i < 0 {
		names := make([]string, len(Profiles))
		for i, p := range Profiles {
			names[i] = p.Name
		}
		return Profile{}, fmt.Errorf("unknown WAN profile %q; choose from %s", name, strings.Join(names, ", "))
	}
	return Profiles[i], nil
}

// LinkLimit is the least time any client can take to fetch total bytes
// over p: the bytes at the line's rate, plus one round trip for the first
// request. A client that fills the line from the start gets close to it.
func (p Profile) LinkLimit(total int64) time.Duration {
	d := p.RTT
	if p.LineRate > 0 {
		d += time.Duration(float64(total) / float64(p.LineRate) * float64(time.Second))
	}
	return d
}

// String is a one-line description: "rtt60: RTT 60 ms, 4 MiB/s per
// connection, 50 MiB/s line".
func (p Profile) String() string {
	return fmt.Sprintf("%s: RTT %d ms, %s per connection, %s line", p.Name, p.RTT.Milliseconds(), rateText(p.ConnRate), rateText(p.LineRate))
}

func rateText(r int64) string {
	if r <= 0 {
		return "no cap"
	}
	return fmt.Sprintf("%g MiB/s", float64(r)/MiB)
}
