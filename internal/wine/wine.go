// Package wine lets a test tell Wine from Windows. make test-windows runs
// every package's tests as Windows programs under Wine, which differs from
// Windows in places; a test that meets such a gap skips through Skip,
// which names it, and runs in full on Windows.
package wine

import (
	"sync"
	"testing"
)

// Running reports whether the process is a Windows program running under
// Wine: its ntdll.dll exports wine_get_version, which Windows' does not.
// It is false outside Windows.
var Running = sync.OnceValue(running)

// Skip skips t under Wine, logging gap: what Wine does that Windows does
// not. Outside Wine it does nothing.
func Skip(t testing.TB, gap string) {
	t.Helper()
	if Running() {
		t.Skip("Wine gap: " + gap)
	}
}
