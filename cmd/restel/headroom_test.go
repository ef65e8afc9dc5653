package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var headroomK8s = filepath.Join("testdata", "headroom-k8s")

// invoke runs `restel args...` in-process.
func invoke(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = realMain(e, args)
	return code, out.String(), errb.String()
}

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

func TestHeadroomBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"headroom", "--forecast", "61s"}, "--forecast 1m1s: want a duration from 0s to 1m0s"},
		{[]string{"headroom", "--forecast", "-1s"}, "--forecast -1s"},
		{[]string{"headroom", "--pid", "0"}, "--pid 0: want a positive process id"},
		{[]string{"headroom", "--procfs", "/nonexistent"}, "/nonexistent"},
		{[]string{"headroom", "extra"}, `unexpected argument "extra"`},
		{[]string{"fit"}, "--mem SIZE is required"},
		{[]string{"fit", "--mem", "1GB"}, "unknown unit"},
		{[]string{"fit", "--mem", ""}, "want a size"},
		{[]string{"fit", "--mem", "12x"}, "unknown unit"},
		{[]string{"fit", "--mem", "-5"}, "not a number"},
		{[]string{"fit", "--mem", "1.GiB"}, "not a number"},
		{[]string{"fit", "--mem", "99999999999TiB"}, "too large"},
		{[]string{"fit", "--mem", "1GiB", "--gpu-mem", "x"}, "--gpu-mem"},
		{[]string{"fit", "--mem", "1GiB", "--wait", "-1s"}, "--wait -1s"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := invoke(t, tc.args...)
			if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d stdout %q stderr %q; want 2, nothing, one line naming %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"0", 0}, {"1073741824", 1 << 30}, {"1KiB", 1024}, {"512MiB", 512 << 20}, {"1.5GiB", 3 << 29},
		{"2 GiB", 2 << 30}, {"1TiB", 1 << 40}, {"0.5KiB", 512}, {"1.6GiB", 1717986919}, // 1717986918.4 rounds up
		{"16777215TiB", 16777215 << 40}, {"18446744073709551615", 1<<64 - 1},
	} {
		got, err := parseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "GiB", "1GB", "1 MB", "-1", "1e9", "1.5.5MiB", ".5MiB", "16777216TiB", "18446744073709551616", "0x10", "1.00000000000000000000000001KiB"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1GiB", "1.5MiB", "0.0000001KiB", "99999999999999999999", "7 TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseSize(s)
		if err != nil {
			return
		}
		// A parsed size reparses to itself as bytes.
		if w, err := parseSize(strings.TrimSpace(uintString(v))); err != nil || w != v {
			t.Fatalf("%q → %d → %d, %v", s, v, w, err)
		}
	})
}

func uintString(v uint64) string {
	b := make([]byte, 0, 20)
	if v == 0 {
		return "0"
	}
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}
