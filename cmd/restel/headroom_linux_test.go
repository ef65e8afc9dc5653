//go:build linux

package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixture roots (--procfs, --sysfs) are read by the Linux provider
// only: elsewhere the flags are ignored and the live system is read.

var headroomK8s = filepath.Join("testdata", "headroom-k8s")

var update = flag.Bool("update-headroom", false, "rewrite the headroom and fit golden files")

func TestHeadroomGolden(t *testing.T) {
	roots := []string{"--procfs", filepath.Join(headroomK8s, "proc"), "--sysfs", filepath.Join(headroomK8s, "sys")}
	for _, tc := range []struct {
		golden string
		args   []string
		code   int
	}{
		{"headroom.golden.json", append([]string{"headroom"}, roots...), 0},
		{"headroom-forecast60.golden.json", append([]string{"headroom", "--forecast", "60s"}, roots...), 0},
		{"fit-yes.golden.json", append([]string{"fit", "--mem", "1.5GiB"}, roots...), 0},
		{"fit-no.golden.json", append([]string{"fit", "--mem", "1537MiB"}, roots...), exitDoesNotFit},
		{"fit-gpu-unknown.golden.json", append([]string{"fit", "--mem", "1KiB", "--gpu-mem", "4GiB"}, roots...), exitDoesNotFit},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			code, stdout, stderr := invoke(t, tc.args...)
			if code != tc.code || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want %d and nothing", code, stderr, tc.code)
			}
			path := filepath.Join(headroomK8s, tc.golden)
			if *update {
				if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := mustRead(t, path); stdout != want {
				t.Errorf("stdout\n%s\nwant\n%s", stdout, want)
			}
			if !json.Valid([]byte(stdout)) {
				t.Errorf("not JSON: %s", stdout)
			}
		})
	}
}

// Device memory: a discrete GPU whose other tenants hold most of it
// bounds a device need by what is free; on a device whose only GPU is
// integrated, a device need is host memory.
func TestFitAccelerators(t *testing.T) {
	for _, tc := range []struct {
		fixture, golden string
		args            []string
		code            int
	}{
		{"headroom-gpu", "headroom.golden.json", []string{"headroom"}, 0},
		{"headroom-gpu", "fit-gpu-fits.golden.json", []string{"fit", "--mem", "8GiB", "--gpu-mem", "3.9GiB"}, 0},
		{"headroom-gpu", "fit-gpu-refused.golden.json", []string{"fit", "--mem", "8GiB", "--gpu-mem", "4GiB"}, exitDoesNotFit},
		{"headroom-unified", "headroom.golden.json", []string{"headroom"}, 0},
		{"headroom-unified", "fit-unified.golden.json", []string{"fit", "--mem", "8GiB", "--gpu-mem", "20GiB"}, 0},
		{"headroom-unified", "fit-unified-refused.golden.json", []string{"fit", "--mem", "8GiB", "--gpu-mem", "24GiB"}, exitDoesNotFit},
	} {
		t.Run(tc.fixture+"/"+tc.golden, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.fixture)
			args := append(tc.args, "--procfs", filepath.Join(dir, "proc"), "--sysfs", filepath.Join(dir, "sys"))
			code, stdout, stderr := invoke(t, args...)
			if code != tc.code || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want %d and nothing", code, stderr, tc.code)
			}
			path := filepath.Join(dir, tc.golden)
			if *update {
				if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := mustRead(t, path); stdout != want {
				t.Errorf("stdout\n%s\nwant\n%s", stdout, want)
			}
		})
	}
}

func TestHeadroomMissingRoot(t *testing.T) {
	code, stdout, stderr := invoke(t, "headroom", "--procfs", "/nonexistent")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "/nonexistent") {
		t.Errorf("exit %d stdout %q stderr %q; want 2, nothing, one line naming /nonexistent", code, stdout, stderr)
	}
}
