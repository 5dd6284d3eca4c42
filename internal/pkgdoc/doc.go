// Package pkgdoc holds one test: every package of the module states its job
// in a doc comment ("// Package x ..." or, for a program, "// Command x
// ..."), so "go doc" of any folder says what it is for and what its caller
// must keep. The test reads the sources with go/parser, every file whatever
// its build tags, so a doc comment kept in a file of another OS still counts.
package pkgdoc
