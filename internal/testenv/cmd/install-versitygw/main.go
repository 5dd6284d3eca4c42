// Command install-versitygw builds the pinned versitygw, the second S3
// server of the server matrix, into the tools cache, once. CI's setup step
// runs it; it does nothing when the pinned version is already there.
package main

import (
	"fmt"
	"os"

	"dlhelper/internal/testenv"
)

func main() {
	bin, err := testenv.VersityGWTool.Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "install-versitygw:", err)
		os.Exit(1)
	}
	fmt.Println("versitygw:", bin)
}
