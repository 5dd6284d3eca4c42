package main

import (
	"errors"
	"io"
	"net/url"
	"strings"
)

// A dlhelper:// link starts the helper with one argument, the link, which a
// web page wrote. The OS runs the registered command
//
//	dlhelper open --single-argument LINK
//
// and everything after the marker is that one link, never flags (as with
// Chrome's --single-argument): a link smuggling " --allow-origin=…" or
// " --dir=…" would otherwise reconfigure the helper. Settings then come from
// the config file alone. A link given without the marker (registrations of
// older versions: "open %u", "open "%1"") must come alone too.

// singleArgument is the marker before the one link of a link start.
const singleArgument = "--single-argument"

// isLinkStart reports whether args (after "open") are a link start: the
// marker first, or a dlhelper: link anywhere.
func isLinkStart(args []string) bool {
	if len(args) > 0 && args[0] == singleArgument {
		return true
	}
	for _, a := range args {
		if strings.HasPrefix(strings.ToLower(a), "dlhelper:") {
			return true
		}
	}
	return false
}

var errLinkNotAlone = errors.New(`a dlhelper:// link starts dlhelper alone, without flags or other arguments; run "dlhelper install" again to register links the current way`)

// parseLinkStart reads the link of a link start; the options are the
// config file's. The marker with nothing after it is the menu entry's
// start (its %u stays empty): the helper starts without a link.
func parseLinkStart(args []string, stderr io.Writer) (appOptions, error) {
	var o appOptions
	raw, err := linkArgument(args)
	if err != nil {
		return o, err
	}
	if raw != "" {
		u, err := parseLink(raw)
		if err != nil {
			return o, err
		}
		o.links = []*url.URL{u}
	}
	o.serve, err = parseServe(nil, stderr)
	return o, err
}

// linkArgument is the one link in args, or "" for the marker alone.
func linkArgument(args []string) (string, error) {
	if args[0] != singleArgument {
		if len(args) != 1 {
			return "", errLinkNotAlone
		}
		return args[0], nil
	}
	if raw, ok := rawSingleArgument(); ok {
		return raw, nil
	}
	switch len(args) {
	case 1:
		return "", nil
	case 2:
		return args[1], nil
	}
	return "", errLinkNotAlone
}

// linkAfterMarker is what follows the marker in a Windows command line,
// taken whole: Windows splits a command line by the program's own rules,
// and a link holding a quote could split into a link and flags. One pair
// of quotes around it is taken off. ok is false without the marker.
func linkAfterMarker(cmdline string) (link string, ok bool) {
	_, rest, ok := strings.Cut(cmdline, " "+singleArgument)
	if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
		rest = rest[1 : len(rest)-1]
	}
	return rest, true
}

// windowsLinkCommand is the command Windows runs for a dlhelper:// link;
// %1 unquoted, as the whole rest of the line is the link.
func windowsLinkCommand(exe string) string {
	return `"` + exe + `" open ` + singleArgument + ` %1`
}
