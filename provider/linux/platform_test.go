package linux

import (
	"runtime"
	"testing"

	"github.com/restel/restel/internal/wine"
)

// The package's tests also run as Windows programs (make test-windows),
// where the fixture parsers and refresh logic run as everywhere, but some
// tests meet what only a Linux (or Unix) file system gives. Each skip
// below names what it is.

// skipWineSymlinks skips a test that makes symlinks, under Wine only.
func skipWineSymlinks(tb testing.TB) {
	tb.Helper()
	wine.Skip(tb, "Wine 8's CreateSymbolicLinkW reports success but makes no link")
}

// skipWineHostProc skips a test of the live /proc under Wine, where it is
// not this program's.
func skipWineHostProc(tb testing.TB) {
	tb.Helper()
	wine.Skip(tb, "Wine's Z: drive shows Windows programs the Linux host's /proc, whose self is the Wine process")
}

// skipOffLinux skips a test of what only Linux gives the provider.
func skipOffLinux(tb testing.TB, what string) {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skip("Linux only: " + what)
	}
}

// skipOnWindows skips a test of what Windows does differently.
func skipOnWindows(tb testing.TB, what string) {
	tb.Helper()
	if runtime.GOOS == "windows" {
		tb.Skip("not on Windows: " + what)
	}
}
