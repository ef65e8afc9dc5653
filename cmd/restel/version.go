package main

import (
	"runtime/debug"
	"strings"
)

func init() {
	register(command{
		name:    "version",
		summary: "print restel's version",
		usage:   "restel version",
		run:     versionMain,
	})
}

// versionMain implements `restel version` (and `restel --version`).
func versionMain(e env, args []string) int {
	fs := newFlagSet("version")
	if status, ok := parseFlags(e, fs, args); !ok {
		return status
	}
	if fs.NArg() > 0 {
		return usageErr(e, "version: unexpected argument %q: usage: restel version", fs.Arg(0))
	}
	bi, ok := debug.ReadBuildInfo()
	return writeOut(e, versionLine(bi, ok))
}

// versionLine is the line `restel version` prints from the build
// information: "restel v1.2.3 go1.26.0" for a module build (go install
// ...@v1.2.3); "restel (devel) 0123456789ab-dirty 2026-11-29T18:00:00Z
// go1.26.0" for a build from a checkout, with the VCS revision (12 hex
// digits), "-dirty" for uncommitted changes, and the commit time when the
// toolchain stamped them.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "restel (unknown version: no build information)\n"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	parts := []string{"restel", v}
	var rev, at string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && (v == "(devel)" || !strings.Contains(v, rev[:min(12, len(rev))])) {
		rev = rev[:min(12, len(rev))]
		if dirty {
			rev += "-dirty"
		}
		parts = append(parts, rev)
		if at != "" {
			parts = append(parts, at)
		}
	}
	if bi.GoVersion != "" {
		parts = append(parts, bi.GoVersion)
	}
	return strings.Join(parts, " ") + "\n"
}
