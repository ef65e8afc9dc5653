//go:build unix

package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// startServe starts the test binary as `restel serve --listen
// 127.0.0.1:0`, with env added to its environment, and returns the
// process, the address it serves on, its stdout and the rest of its
// stderr after the address line (for the caller to read, or leave).
// t.Cleanup kills it if the test has not ended it.
func startServe(t *testing.T, env ...string) (*exec.Cmd, string, *bytes.Buffer, io.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(append(os.Environ(), testMainEnv+"=1"), env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, readServeAddr(t, stderr), &stdout, stderr
}

// TestServeBinarySignals: a real `restel serve` answers /metrics and
// exits 0 on SIGTERM and on SIGINT, with nothing more on its streams.
func TestServeBinarySignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, addr, stdout, _ := startServe(t)
			resp, err := http.Get("http://" + addr + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			http.DefaultClient.CloseIdleConnections()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "# TYPE system_memory_limit_bytes gauge") {
				t.Errorf("status %d body %q", resp.StatusCode, body)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("after %v: %v, want exit status 0", sig, err)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestServeBinaryBusy: a second server on the same address exits 2 with
// one line.
func TestServeBinaryBusy(t *testing.T) {
	_, addr, _, _ := startServe(t)
	status, stdout, stderr := binary(t, "", "serve", "--listen", addr)
	checkUsageErr(t, status, stdout, stderr, "restel: serve: ", "address already in use")
}
