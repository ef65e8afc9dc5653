//go:build linux

package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restel/restel/internal/fusetest"
)

// TestSnapshotFUSERootDoesNotHang runs the restel binary on fixture roots
// served by a real FUSE file system whose chosen files never answer a
// read, as a hung FUSE or network mount does (O_NONBLOCK does not help
// there): the process's cgroup file (read while the provider is built),
// meminfo (every snapshot) and the only thermal zone's temp. restel exits
// 0 with the fields those files feed null and a warning naming each file
// as abandoned. A hang would keep the child running: the context kills it
// and fails the test (it detects a hang; it does not measure speed).
func TestSnapshotFUSERootDoesNotHang(t *testing.T) {
	backing := t.TempDir()
	if err := os.Rename(mergeTrees(t, "procfs-k8s"), filepath.Join(backing, "proc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(mergeTrees(t, "cgroup-k8s", "sysfs-rpi"), filepath.Join(backing, "sys")); err != nil {
		t.Fatal(err)
	}
	stuck := []string{"proc/self/cgroup", "proc/meminfo", "sys/class/thermal/thermal_zone0/temp"}
	m := fusetest.New(t, backing, stuck...)

	// The kernel waits for a FUSE read the server received even through
	// SIGKILL, so the child cannot finish exiting while an abandoned read
	// is in flight. What must not hang is its answer: the JSON line and
	// the warnings arrive while the files are still stuck; only then is
	// the server stopped, which lets the child's exit complete.
	cmd := exec.Command(os.Args[0], "snapshot",
		"--procfs", filepath.Join(m.Dir, "proc"), "--sysfs", filepath.Join(m.Dir, "sys"))
	cmd.Env = append(os.Environ(), testMainEnv+"=1")
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(outPipe).ReadString('\n')
	stopped := m.Stopped()
	m.Stop()
	if werr := cmd.Wait(); werr != nil || err != nil {
		t.Fatalf("restel snapshot: %v (stdout %v), stderr %q", werr, err, stderr.String())
	}
	if stopped {
		t.Fatalf("restel snapshot answered only once the FUSE server was stopped: a read hung (stderr %q)", stderr.String())
	}
	stdout := line
	decodeSnapshot(t, stdout)
	for _, null := range []string{`"total_mem_mb":null`, `"available_mem_mb":null`, `"thermal_state":"normal"`} {
		if !strings.Contains(stdout, null) {
			t.Errorf("stdout %s; want %s", stdout, null)
		}
	}
	if !strings.Contains(stdout, `"process_rss_mb":512`) {
		t.Errorf("stdout %s; want the RSS of statm, which answers", stdout)
	}
	for _, rel := range stuck {
		path := filepath.Join(m.Dir, rel)
		found := false
		for _, ln := range strings.Split(stderr.String(), "\n") {
			found = found || (strings.Contains(ln, path) && strings.Contains(ln, "abandoned"))
		}
		if !found {
			t.Errorf("stderr %q; want a warning naming %s as abandoned", stderr.String(), path)
		}
	}
}
