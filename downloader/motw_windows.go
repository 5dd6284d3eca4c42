package downloader

import (
	"fmt"
	"os"
	"path/filepath"
)

// markFile writes the Zone.Identifier stream of the file at name. os.Root
// refuses names with a colon, so the stream is opened by its full path,
// once the root has shown the file to be a regular file inside it.
func markFile(root *os.Root, name, origin, rawURL string) error {
	st, err := root.Lstat(name)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", name)
	}
	stream := filepath.Join(root.Name(), name) + ":Zone.Identifier"
	return os.WriteFile(stream, []byte(zoneIdentifier(origin, rawURL)), 0o644)
}
