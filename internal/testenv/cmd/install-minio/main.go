// Command install-minio installs the MinIO server the tests pin, once.
package main

import (
	"fmt"
	"os"

	"dlhelper/internal/testenv"
)

func main() {
	bin, err := testenv.MinIOBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "install-minio:", err)
		os.Exit(1)
	}
	fmt.Println("minio:", bin)
}
