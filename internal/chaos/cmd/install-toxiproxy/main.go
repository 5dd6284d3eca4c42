// Command install-toxiproxy builds the pinned toxiproxy server into the
// tools cache the chaos suite uses. CI's setup step runs it; it does
// nothing when the pinned version is already there.
package main

import (
	"fmt"
	"os"

	"dlhelper/internal/chaos"
)

func main() {
	bin, err := chaos.ToxiproxyBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(bin)
}
