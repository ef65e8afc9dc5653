package linux

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/restel/restel/provider"
)

func TestReadAttr(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("value", func(t *testing.T) {
		got, err := readAttr(write("temp", "45000\n"))
		if err != nil || string(got) != "45000\n" {
			t.Fatalf("readAttr = %q, %v; want %q, nil", got, err, "45000\n")
		}
	})
	t.Run("empty is ErrInvalid", func(t *testing.T) {
		_, err := readAttr(write("empty", ""))
		if !errors.Is(err, provider.ErrInvalid) {
			t.Fatalf("readAttr(empty) error = %v, want ErrInvalid", err)
		}
	})
	t.Run("missing is ErrNotExist", func(t *testing.T) {
		_, err := readAttr(filepath.Join(dir, "nope"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("readAttr(missing) error = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("directory fails", func(t *testing.T) {
		if _, err := readAttr(dir); err == nil {
			t.Fatal("readAttr(directory) succeeded")
		}
	})
	t.Run("one page at most", func(t *testing.T) {
		big := bytes.Repeat([]byte("7"), 3*maxAttrBytes)
		p := filepath.Join(dir, "big")
		if err := os.WriteFile(p, big, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readAttr(p)
		if !errors.Is(err, errAttrTooLarge) || !errors.Is(err, provider.ErrInvalid) || got != nil {
			t.Fatalf("readAttr(12 KiB) = %d bytes, %v; want refused as too large", len(got), err)
		}
		longest := bytes.Repeat([]byte("7"), maxAttrBytes-1)
		if err := os.WriteFile(p, longest, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err = readAttr(p); err != nil || len(got) != maxAttrBytes-1 {
			t.Fatalf("readAttr(4095 bytes) = %d bytes, %v; want all of it", len(got), err)
		}
	})
	t.Run("permission", func(t *testing.T) {
		p := write("secret", "1\n")
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		if f, err := os.Open(p); err == nil {
			f.Close()
			t.Skip("running with CAP_DAC_OVERRIDE (root): mode 0 files stay readable")
		}
		_, err := readAttr(p)
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("readAttr(mode 0) error = %v, want fs.ErrPermission", err)
		}
	})
}

// TestReadAttrAllocs: the 4 KiB read buffer stays on the stack; what is
// allocated per read is the C path string and the returned copy of the
// bytes read — far below one page.
func TestReadAttrAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation of read(2) moves the buffer to the heap")
	}
	skipOffLinux(t, "the read into a stack buffer is sysfs_read_linux.go's; elsewhere it goes through os.File")
	p := filepath.Join(t.TempDir(), "temp")
	if err := os.WriteFile(p, []byte("45000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const runs = 200
	readAttr(p) // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := readAttr(p); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if perRead := (after.TotalAlloc - before.TotalAlloc) / runs; perRead >= maxAttrBytes/4 {
		t.Errorf("readAttr allocates %d bytes per read; the %d-byte buffer must not be on the heap", perRead, maxAttrBytes)
	}
}
