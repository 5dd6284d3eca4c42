package servermatrix

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"strings"

	"dlhelper/internal/testenv"
)

// object is one file of the order: its key on the server is also its
// name on disk.
type object struct {
	key  string
	data []byte
	// parts uploads it in partSize parts where the server has uploads
	// (S3): its ETag is then "md5-of-md5s-N", not the content's MD5.
	parts bool
}

// partSize forces minio-go into a multipart upload for the large object
// (its default part is 16 MiB, larger than the whole object).
const partSize = 5 << 20

// theOrder is the order every row serves. The names carry what breaks
// URL handling (a space, "+", "%", CJK); the sizes cover the zero-byte
// path, a file of one range, files of several, and several parts.
func theOrder() []object {
	return []object{
		{key: "empty.bin"},
		{key: "chip 001.bin", data: testenv.RandomData(1, 100<<10)},
		{key: "a+b.bin", data: testenv.RandomData(2, 4<<20+12345)},
		// Text, so a compressing server really stores it compressed.
		{key: "芯片-002.txt", data: bytes.Repeat([]byte("芯片 DLOC data, line after line.\n"), 80_000)},
		{key: "100%.bin", data: testenv.RandomData(4, 700<<10)},
		{key: "parts.bin", data: testenv.RandomData(5, 11<<20), parts: true},
	}
}

// contentMD5 is the hex MD5 of the object's bytes.
func (o object) contentMD5() string {
	sum := md5.Sum(o.data)
	return hex.EncodeToString(sum[:])
}

// etagIsMD5 reports whether a server's ETag (quoted or not) is the hex
// MD5 of the object's bytes.
func (o object) etagIsMD5(etag string) bool {
	return strings.Trim(etag, `"`) == o.contentMD5()
}
