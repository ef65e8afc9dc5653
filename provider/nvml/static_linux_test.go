//go:build linux && !android && (amd64 || arm64 || ppc64le)

package nvml

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// linkage builds ./cmd/restel with cgo off and the given tags and returns
// its ELF interpreter and the libraries it needs.
func linkage(t *testing.T, tags string) (interp string, needed []string) {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skipf("no go tool to build restel: %v", err)
		}
	}
	bin := filepath.Join(t.TempDir(), "restel")
	cmd := exec.Command(goTool, "build", "-tags", tags, "-o", bin, "./cmd/restel")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %q: %v\n%s", tags, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	needed, err = f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	return interp, needed
}

// The default restel binary is statically linked: NVML support is
// opt-in. The nvml build tag makes it dynamic (purego's dlopen comes from
// the C library, through cgo_import_dynamic, even with cgo off).
func TestStaticLinking(t *testing.T) {
	if interp, needed := linkage(t, ""); interp != "" || len(needed) != 0 {
		t.Errorf("default restel: interpreter %q, needs %v; want a static binary", interp, needed)
	}
	interp, needed := linkage(t, "nvml")
	if interp == "" || len(needed) == 0 {
		t.Errorf("restel -tags nvml: interpreter %q, needs %v; want a dynamic binary", interp, needed)
	}
	t.Logf("restel -tags nvml (CGO_ENABLED=0): interpreter %s, needs %v", interp, needed)
}
