package dist

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// buildSetup makes the per-user NSIS installer around exe. NSIS rather
// than wixl (msitools): an MSI that installs per user without elevation
// needs ALLUSERS/MSIINSTALLPERUSER care that wixl does not fully support,
// and wixl writes no uninstaller entry with a quiet uninstall string; NSIS
// scripts both in a page, and Debian's makensis runs on Linux.
func buildSetup(ctx context.Context, o Options, exe string) (string, error) {
	stage, err := os.MkdirTemp("", "dlhelper-nsis-")
	if err != nil {
		return "", fmt.Errorf("dist: %w", err)
	}
	defer os.RemoveAll(stage)
	script, _ := embedded.ReadFile("windows/installer.nsi")
	nsi := filepath.Join(stage, "installer.nsi")
	ico := filepath.Join(stage, "dlhelper.ico")
	icon, err := makeICO(filepath.Join(o.Root, "cmd/dlhelper/winres"), "icon16.png", "icon32.png", "icon48.png", "icon256.png")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(nsi, script, 0o644); err != nil {
		return "", fmt.Errorf("dist: %w", err)
	}
	if err := os.WriteFile(ico, icon, 0o644); err != nil {
		return "", fmt.Errorf("dist: %w", err)
	}
	out, err := filepath.Abs(filepath.Join(o.Out, "dlhelper-"+o.Version+"-windows-amd64-setup.exe"))
	if err != nil {
		return "", err
	}
	absExe, _ := filepath.Abs(exe)
	err = run(ctx, stage, nil, "makensis", "-V2", "-INPUTCHARSET", "UTF8",
		"-DVERSION="+o.Version, "-DWINVERSION="+o.Version+".0", "-DPRODUCT="+o.Brand.ProductName,
		"-DEXE="+absExe, "-DICON="+ico, "-DOUTFILE="+out, nsi)
	return out, err
}

// makeICO packs PNG images into a .ico, which stores PNGs as they are
// (Windows Vista and later); the installer's icon must be one.
func makeICO(dir string, pngs ...string) ([]byte, error) {
	var head, body bytes.Buffer
	binary.Write(&head, binary.LittleEndian, [3]uint16{0, 1, uint16(len(pngs))})
	offset := 6 + 16*len(pngs)
	for _, name := range pngs {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(data) < 24 {
			return nil, fmt.Errorf("dist: icon %s: %v", name, err)
		}
		w, h := binary.BigEndian.Uint32(data[16:20]), binary.BigEndian.Uint32(data[20:24]) // the PNG's IHDR
		binary.Write(&head, binary.LittleEndian, struct {
			W, H, Colors, Reserved uint8
			Planes, Bits           uint16
			Size, Offset           uint32
		}{uint8(w), uint8(h), 0, 0, 1, 32, uint32(len(data)), uint32(offset + body.Len())}) // 256 wraps to 0, as the format wants
		body.Write(data)
	}
	return append(head.Bytes(), body.Bytes()...), nil
}
