package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
)

// TestWatchMonitor runs the loop over a real orchestrator.Monitor on a
// fake provider: the first line at once, then one per interval; every
// line parses back as a snapshot; cancel (SIGINT/SIGTERM) is status 0 and
// every goroutine is gone when the bubble ends.
func TestWatchMonitor(t *testing.T) {
	for _, interval := range []time.Duration{250 * time.Millisecond, time.Second, 3 * time.Second} {
		t.Run(interval.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := orchestrator.New(clockProvider)
				defer m.Close()
				ctx, cancel := context.WithCancel(t.Context())
				e, stdout, stderr := testEnv(ctx, nil)
				status := make(chan int)
				go func() { status <- watchLoop(ctx, e, m, interval, &ndjsonView{w: e.stdout}, nil) }()
				time.Sleep(4*interval + interval/2)
				synctest.Wait()
				cancel()
				if got := <-status; got != 0 {
					t.Errorf("status %d, want 0", got)
				}
				checkNDJSON(t, stdout.String(), 5, interval)
				if stderr.Len() != 0 {
					t.Errorf("stderr = %q", stderr)
				}
			})
		})
	}
}

// TestWatchMonitorClosed: a monitor closed under the loop ends it cleanly.
func TestWatchMonitorClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := orchestrator.New(clockProvider)
		e, stdout, _ := testEnv(t.Context(), nil)
		status := make(chan int)
		go func() { status <- watchLoop(t.Context(), e, m, time.Second, &ndjsonView{w: e.stdout}, nil) }()
		time.Sleep(2500 * time.Millisecond)
		m.Close()
		if got := <-status; got != 0 {
			t.Errorf("status %d, want 0", got)
		}
		checkNDJSON(t, stdout.String(), 3, time.Second)
	})
}

// TestWatchMain runs `restel watch` in-process on the native provider.
// Termination is deterministic: stdout fails with EPIPE after two
// snapshots (the first at once, the second one interval later).
func TestWatchMain(t *testing.T) {
	e, _, stderr := testEnv(t.Context(), nil)
	w := &failWriter{ok: 2, err: fmt.Errorf("write |1: %w", syscall.EPIPE)}
	e.stdout = w
	if got := realMain(e, []string{"watch", "--interval", "250ms"}); got != 0 {
		t.Errorf("status %d, want 0 (stderr %q)", got, stderr)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q", stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(w.String()))
	n := 0
	for ; sc.Scan(); n++ {
		var s provider.Snapshot
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if !s.TotalMemMB.Valid || !s.ProcessRSSMB.Valid {
			t.Errorf("line %q: want total memory and restel's RSS read from the live system", sc.Text())
		}
	}
	if n != 2 {
		t.Errorf("%d lines, want 2:\n%s", n, w.String())
	}

	// A cancelled context (what SIGINT/SIGTERM do) ends it at once, status 0.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	e, stdout, stderr := testEnv(ctx, nil)
	if got := realMain(e, []string{"watch", "--json"}); got != 0 || stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("cancelled: status %d stdout %q stderr %q", got, stdout, stderr)
	}

	// Bad input: status 2, one line, nothing on stdout.
	e, stdout, stderr = testEnv(t.Context(), nil)
	got := realMain(e, []string{"watch", "--interval", "soon"})
	checkUsageErr(t, got, stdout.String(), stderr.String(), "restel: watch: ", `invalid value "soon" for --interval`)
}
