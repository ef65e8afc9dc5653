package wine

import (
	"os"
	"runtime"
	"testing"
)

// make test-windows sets WINEPREFIX for the Wine it runs; Windows and
// every other OS leave it unset (Wine passes the Unix environment on).
func TestRunning(t *testing.T) {
	want := runtime.GOOS == "windows" && os.Getenv("WINEPREFIX") != ""
	if got := Running(); got != want {
		t.Fatalf("Running() = %v, want %v (GOOS %s, WINEPREFIX %q)", got, want, runtime.GOOS, os.Getenv("WINEPREFIX"))
	}
}

func TestSkip(t *testing.T) {
	ran := false
	t.Run("gap", func(t *testing.T) {
		Skip(t, "a gap")
		ran = true
	})
	if ran == Running() {
		t.Fatalf("Skip under Wine %v: the test ran on: %v", Running(), ran)
	}
}
