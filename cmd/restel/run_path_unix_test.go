//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunPathLikeEnv: `restel run -- CMD` finds CMD, or fails to, as
// env(1) does, for the same PATH (set, empty, with empty entries or
// unset) from the same directory: same exit status and same output.
func TestRunPathLikeEnv(t *testing.T) {
	const envBin = "/usr/bin/env"
	if _, err := os.Stat(envBin); err != nil {
		t.Skip("no /usr/bin/env to compare with")
	}
	restel, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := func(path, out string, perm os.FileMode) {
		writeFile(t, path, "#!/bin/sh\necho "+out+"\n", perm)
	}
	for _, d := range []string{"a", "b", "a/dirp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script(filepath.Join(dir, "prog"), "here", 0o755)
	script(filepath.Join(dir, "a", "np"), "a", 0o644) // not executable
	script(filepath.Join(dir, "b", "np"), "b", 0o755)
	writeFile(t, filepath.Join(dir, "file"), "", 0o644)
	a, b, file := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "file")

	const unset = "\x00unset"
	for _, tc := range []struct {
		name, path, cmd string
		want            int // env's status, checked too
	}{
		{"dot entry", ".:/usr/bin", "prog", 0},
		{"leading empty entry", ":/usr/bin", "prog", 0},
		{"trailing empty entry", "/usr/bin:", "prog", 0},
		{"doubled colon", "/usr/bin::/bin", "prog", 0},
		{"empty PATH", "", "prog", 0},
		{"not in PATH", "/usr/bin:/bin", "prog", 127},
		{"unset PATH, system command", unset, "true", 0},
		{"unset PATH, command in the current directory", unset, "prog", 127},
		{"not executable", a, "np", 126},
		{"not executable, then executable", a + ":" + b, "np", 0},
		{"a directory", a, "dirp", 126},
		{"a file as a PATH entry, then not found", file + ":/usr/bin", "restel-no-such-command", 127},
		{"not found, then a file as a PATH entry", "/usr/bin:" + file, "restel-no-such-command", 126},
		{"a path through a file", "/usr/bin", "file/x", 126},
		{"a path to a directory", "/usr/bin", "./a", 126},
	} {
		t.Run(tc.name, func(t *testing.T) {
			environ := []string{testMainEnv + "=1"}
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, testMainEnv+"=") {
					environ = append(environ, kv)
				}
			}
			if tc.path != unset {
				environ = append(environ, "PATH="+tc.path)
			}
			run := func(argv ...string) (int, string, string) {
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Dir, cmd.Env = dir, environ
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var ee *exec.ExitError
				if err != nil && !errors.As(err, &ee) {
					t.Fatal(err)
				}
				return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
			}
			envStatus, envOut, _ := run(envBin, tc.cmd)
			status, stdout, stderr := run(restel, "run", "--mode", "off", "--", tc.cmd)
			if envStatus != tc.want {
				t.Fatalf("env: status %d, want %d (the case does not test what it says)", envStatus, tc.want)
			}
			if status != envStatus || stdout != envOut {
				t.Errorf("restel: status %d stdout %q stderr %q; env: status %d stdout %q", status, stdout, stderr, envStatus, envOut)
			}
			if status >= exitCannotRun && (!strings.HasPrefix(stderr, "restel: run: "+tc.cmd+": ") || strings.Count(stderr, "\n") != 1) {
				t.Errorf("stderr %q, want one line naming %s", stderr, tc.cmd)
			}
		})
	}
}

// FuzzSearchPath: any command name (without a slash) and PATH give a
// name to run that contains a slash and ends in the command's name, or an
// *exec.Error naming the command; never a panic.
func FuzzSearchPath(f *testing.F) {
	for _, seed := range [][2]string{
		{"sh", "/bin:/usr/bin"}, {"sh", ""}, {"sh", "::"}, {"x", ".:/nonexistent/dir"},
		{"", "/usr/bin"}, {"..", "/"}, {"sh", "/etc/passwd:/usr/bin"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, name, path string) {
		if strings.Contains(name, "/") || strings.ContainsRune(name+path, 0) {
			t.Skip("searched for only without a slash; no NUL in file names")
		}
		got, err := searchPath(name, path)
		if err != nil {
			var ee *exec.Error
			if !errors.As(err, &ee) || ee.Name != name {
				t.Fatalf("searchPath(%q, %q): %v, want an *exec.Error naming the command", name, path, err)
			}
			return
		}
		if !strings.Contains(got, "/") || !strings.HasSuffix(got, "/"+name) {
			t.Fatalf("searchPath(%q, %q) = %q, want a name with a slash ending in /%s", name, path, got, name)
		}
	})
}
