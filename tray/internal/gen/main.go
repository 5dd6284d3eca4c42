// Command gen draws the tray icons: a disc in the state's colour with a white
// glyph, as 16x16 and 32x32 PNGs and a two-size ICO per state, and with
// -winres the Windows program icon in four sizes. It runs at development
// time ("go generate ./tray"); its output is committed (tray/icons is
// embedded, cmd/dlhelper/winres feeds go-winres), so a build never draws.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"
)

// glyph reports whether the point (x, y), in units of the icon's side
// (0..1), is covered by the white mark drawn on the disc.
type glyph func(x, y float64) bool

type state struct {
	name  string
	fill  color.NRGBA
	glyph glyph
}

var states = []state{
	{"idle", color.NRGBA{0x70, 0x78, 0x80, 0xff}, arrow},
	{"active", color.NRGBA{0x1e, 0x78, 0xd7, 0xff}, arrow},
	{"paused", color.NRGBA{0xe0, 0x8e, 0x0b, 0xff}, bars},
	{"error", color.NRGBA{0xd1, 0x34, 0x38, 0xff}, bang},
}

func main() {
	out := flag.String("out", "icons", "folder to write the tray icons to")
	winres := flag.String("winres", "", "folder to write the .exe's icons to (icon16.png … icon256.png), if any")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, s := range states {
		small, large := draw(s, 16), draw(s, 32)
		write(filepath.Join(*out, s.name+"-16.png"), encodePNG(small))
		write(filepath.Join(*out, s.name+".png"), encodePNG(large))
		write(filepath.Join(*out, s.name+".ico"), encodeICO(small, large))
	}
	if *winres != "" {
		// The program's own icon, shown by Explorer: the active state.
		for _, size := range []int{16, 32, 48, 256} {
			write(filepath.Join(*winres, fmt.Sprintf("icon%d.png", size)), encodePNG(draw(states[1], size)))
		}
	}
}

func write(path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		log.Fatal(err)
	}
}

// draw renders s at size×size with 4×4 supersampling for smooth edges.
func draw(s state, size int) *image.NRGBA {
	const ss = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := range size {
		for px := range size {
			var disc, mark int
			for sy := range ss {
				for sx := range ss {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					dx, dy := x-0.5, y-0.5
					if dx*dx+dy*dy <= 0.47*0.47 {
						disc++
						if s.glyph(x, y) {
							mark++
						}
					}
				}
			}
			img.SetNRGBA(px, py, blend(s.fill, disc, mark, ss*ss))
		}
	}
	return img
}

// blend mixes white over fill by the glyph's coverage, with the disc's
// coverage as alpha.
func blend(fill color.NRGBA, disc, mark, n int) color.NRGBA {
	if disc == 0 {
		return color.NRGBA{}
	}
	mix := func(c uint8) uint8 { return uint8((int(c)*(disc-mark) + 255*mark) / disc) }
	return color.NRGBA{mix(fill.R), mix(fill.G), mix(fill.B), uint8(255 * disc / n)}
}

// arrow is a downward arrow: a stem and a triangular head.
func arrow(x, y float64) bool {
	stem := x >= 0.42 && x <= 0.58 && y >= 0.2 && y <= 0.55
	head := y >= 0.5 && y <= 0.8 && abs(x-0.5) <= (0.8-y)*0.9
	return stem || head
}

// bars are the two bars of a pause sign.
func bars(x, y float64) bool {
	return y >= 0.27 && y <= 0.73 && ((x >= 0.32 && x <= 0.44) || (x >= 0.56 && x <= 0.68))
}

// bang is an exclamation mark.
func bang(x, y float64) bool {
	line := x >= 0.43 && x <= 0.57 && y >= 0.18 && y <= 0.6
	dot := (x-0.5)*(x-0.5)+(y-0.74)*(y-0.74) <= 0.08*0.08
	return line || dot
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// encodeICO writes an ICO whose entries are classic 32-bit DIBs (not PNG),
// which every Windows version's LoadImage reads.
func encodeICO(imgs ...*image.NRGBA) []byte {
	var dir, data bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&dir, le, [3]uint16{0, 1, uint16(len(imgs))})
	offset := 6 + 16*len(imgs)
	for _, img := range imgs {
		dib := encodeDIB(img)
		size := img.Bounds().Dx()
		binary.Write(&dir, le, [4]uint8{uint8(size), uint8(size), 0, 0})
		binary.Write(&dir, le, [2]uint16{1, 32})
		binary.Write(&dir, le, [2]uint32{uint32(len(dib)), uint32(offset)})
		offset += len(dib)
		data.Write(dib)
	}
	dir.Write(data.Bytes())
	return dir.Bytes()
}

// encodeDIB is a BITMAPINFOHEADER, bottom-up BGRA rows and an all-zero AND
// mask (alpha decides).
func encodeDIB(img *image.NRGBA) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	maskRow := ((w + 31) / 32) * 4
	binary.Write(&b, le, struct {
		Size                  uint32
		Width, Height         int32
		Planes, BitCount      uint16
		Compression, ImgSize  uint32
		XPels, YPels          int32
		ClrUsed, ClrImportant uint32
	}{40, int32(w), int32(2 * h), 1, 32, 0, uint32(w*h*4 + maskRow*h), 0, 0, 0, 0})
	for y := h - 1; y >= 0; y-- {
		for x := range w {
			c := img.NRGBAAt(x, y)
			b.Write([]byte{c.B, c.G, c.R, c.A})
		}
	}
	b.Write(make([]byte, maskRow*h))
	return b.Bytes()
}
