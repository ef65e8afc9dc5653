package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// invoke runs `restel args...` in-process.
func invoke(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = realMain(e, args)
	return code, out.String(), errb.String()
}

func TestHeadroomBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"headroom", "--forecast", "61s"}, "--forecast 1m1s: want a duration from 0s to 1m0s"},
		{[]string{"headroom", "--forecast", "-1s"}, "--forecast -1s"},
		{[]string{"headroom", "--pid", "0"}, "--pid 0: want a positive process id"},
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
