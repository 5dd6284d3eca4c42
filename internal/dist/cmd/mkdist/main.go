// Command mkdist builds dlhelper's packages into a folder; "make dist"
// runs it. See package dlhelper/internal/dist.
//
//	go run ./internal/dist/cmd/mkdist -version 1.2.3 [-portal portal.json] [-out dist] [-windows=false]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"dlhelper/internal/brand"
	"dlhelper/internal/dist"
)

func main() {
	version := flag.String("version", "", "release version, x.y.z")
	portal := flag.String("portal", "", "the portal's brand file (JSON: productName, productNameZh, allowOrigins, feedURL, publicKey); none builds plain dlhelper")
	out := flag.String("out", "dist", "folder for the packages")
	windows := flag.Bool("windows", true, "build the Windows installer too (needs makensis)")
	flag.Parse()
	o := dist.Options{Version: *version, Root: ".", Out: *out, Windows: *windows, Brand: brand.Default}
	if *portal != "" {
		data, err := os.ReadFile(*portal)
		if err == nil {
			o.Brand, err = brand.Parse(data)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "mkdist: the portal file %s cannot be used: %v\n", *portal, err)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a, err := dist.Build(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdist:", err)
		os.Exit(1)
	}
	for _, p := range []string{a.Deb, a.Tarball, a.LinuxExe, a.Setup, a.WindowsExe} {
		if p != "" {
			fmt.Println(p)
		}
	}
}
