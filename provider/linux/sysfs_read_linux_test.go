package linux

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/restel/restel/provider"
	"golang.org/x/sys/unix"
)

// readAttrReturns runs readAttr(path) in a goroutine and fails the test if it
// has not returned within a generous guard: a blocking read would otherwise
// hang the whole test binary. The guard detects a hang; it does not measure
// speed.
func readAttrReturns(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := readAttr(path)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-time.After(30 * time.Second):
		t.Fatalf("readAttr(%s) blocked", path)
		return nil, nil
	}
}

// TestReadAttrNeverBlocks is the real-world proof that the default reader
// cannot hang on a file that would block: a FIFO is the file whose open and
// read block under plain os.Open / os.ReadFile. No sysfs attribute is a
// FIFO, so the reader refuses it, with or without a writer.
func TestReadAttrNeverBlocks(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "temp1_input")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}

	// No writer: a blocking open would wait for one.
	_, err := readAttrReturns(t, fifo)
	if !errors.Is(err, errNotRegular) || !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("FIFO without writer: error = %v, want a refused named pipe", err)
	}

	// A writer that never writes (a driver stuck on its embedded
	// controller): a blocking read would wait forever.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("51000\n")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := readAttrReturns(t, fifo)
		if !errors.Is(err, errNotRegular) || b != nil {
			t.Fatalf("FIFO with a writer: %q, %v; want a refused named pipe", b, err)
		}
	}
}

// TestSignalsOnBlockingSensor wires a FIFO in as a hwmon sensor and a
// thermal zone: Thermal returns, skipping them.
func TestSignalsOnBlockingSensor(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"class/thermal/thermal_zone0/type": "iwlwifi_1\n",
		"class/thermal/thermal_zone1/type": "acpitz\n",
		"class/thermal/thermal_zone1/temp": "65000\n",
	})
	fifo := filepath.Join(root, "class/thermal/thermal_zone0/temp")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	s := newSysfsSignals(root, nil)
	if got, err := s.Thermal(t.Context()); got != provider.ThermalWarm || err != nil {
		t.Fatalf("Thermal = %v, %v; want warm (zone1 by bands), nil", got, err)
	}
}
