package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestStage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10 rss=100\n@1s cpu=30 rss=500\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		var events []Event
		emit := func(e Event) { events = append(events, e) }
		errBad := errors.New("bad input")
		stage := Stage(m, "double", aggregate.SummaryEvery(250*time.Millisecond),
			func(ctx context.Context, n int) (int, error) {
				time.Sleep(1100 * time.Millisecond)
				if n < 0 {
					return 0, errBad
				}
				return 2 * n, nil
			}, emit)
		if out, err := stage(t.Context(), 21); out != 42 || err != nil {
			t.Fatalf("stage returned %v, %v", out, err)
		}
		if _, err := stage(t.Context(), -1); !errors.Is(err, errBad) {
			t.Fatalf("stage error %v not passed through", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancelling := Stage(m, "cancelled", aggregate.ModeBoundary, func(ctx context.Context, _ int) (int, error) {
			cancel()
			return 0, ctx.Err()
		}, emit)
		cancelling(ctx, 0)
		if len(events) != 3 {
			t.Fatalf("%d events", len(events))
		}
		ok, failed, cancelled := events[0], events[1], events[2]
		if ok.Stage != "double" || ok.Err != nil || !ok.HasSummary || ok.ResourceSummary.SampleCount != 6 {
			t.Fatalf("ok event %s", ok.AppendJSON(nil))
		}
		if !errors.Is(failed.Err, errBad) || !failed.HasSummary {
			t.Fatalf("a failing call keeps its summary: %s", failed.AppendJSON(nil))
		}
		if !cancelled.HasSummary || cancelled.ResourceSummary.SampleCount != 2 || !errors.Is(cancelled.Err, context.Canceled) {
			t.Fatalf("a cancelled call keeps its summary: %s", cancelled.AppendJSON(nil))
		}
		// The wire form carries the summary as resource_summary.
		var wire map[string]json.RawMessage
		b, _ := ok.MarshalJSON()
		if err := json.Unmarshal(b, &wire); err != nil {
			t.Fatal(err)
		}
		var u aggregate.Usage
		if err := u.UnmarshalJSON(wire[ResourceSummaryField]); err != nil || u != ok.ResourceSummary {
			t.Fatalf("resource_summary %s: %v", wire[ResourceSummaryField], err)
		}
		if b, _ := (Event{Stage: "off"}).MarshalJSON(); strings.Contains(string(b), ResourceSummaryField) {
			t.Fatalf("event without a summary: %s", b)
		}
		if m.Stats().Samplers != 0 {
			t.Fatal("sampler left running")
		}
	})
}

func TestStagePanicDiscardsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMonitor(t, provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil }))
		emitted := false
		stage := Stage(m, "boom", aggregate.SummaryEvery(time.Second), func(context.Context, int) (int, error) {
			panic("stage bug")
		}, func(Event) { emitted = true })
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the stage's panic was swallowed")
				}
			}()
			stage(t.Context(), 1)
		}()
		if emitted || m.Stats().Samplers != 0 {
			t.Fatalf("emitted %v, samplers %d", emitted, m.Stats().Samplers)
		}
	})
}

func TestStageNilMonitorAndEmit(t *testing.T) {
	stage := Stage(nil, "plain", aggregate.ModeBoundary, func(_ context.Context, s string) (string, error) {
		return s + "!", nil
	}, nil)
	if out, err := stage(t.Context(), "hi"); out != "hi!" || err != nil {
		t.Fatal(out, err)
	}
}

func TestEventJSON(t *testing.T) {
	ev := Event{Stage: `a "quoted" name`, Err: errors.New("x\ny")}
	var v map[string]any
	if err := json.Unmarshal(ev.AppendJSON(nil), &v); err != nil {
		t.Fatalf("%s: %v", ev.AppendJSON(nil), err)
	}
	if v["stage"] != `a "quoted" name` || v["error"] != "x\ny" || len(v) != 2 {
		t.Fatalf("%v", v)
	}
}

// Names and error texts are JSON strings, whatever bytes they hold:
// control characters, Go-only escapes (\a, \v, \x..), invalid UTF-8, and
// HTML-sensitive or line-separator runes.
func TestEventJSONEscapesLikeEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\x00\x01\x1f\x7f", "bell\a tab\t vt\v", "bad \xff\xfe utf-8", "é ü 日本", "<a>&</a>", "\u2028\u2029", `back\slash "q"`, "\ufffd"} {
		b := Event{Stage: s, Err: errors.New(s)}.AppendJSON(nil)
		var v struct{ Stage, Error string }
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, b, err)
		}
		var want string // what encoding/json makes of s
		if ref, err := json.Marshal(s); err != nil || json.Unmarshal(ref, &want) != nil {
			t.Fatal(err)
		}
		if v.Stage != want || v.Error != want {
			t.Fatalf("%q: decoded %q / %q, want %q", s, v.Stage, v.Error, want)
		}
	}
}

// FuzzEventJSON: whatever the stage name and error text, the event is one
// valid JSON object carrying them as encoding/json would.
func FuzzEventJSON(f *testing.F) {
	for _, s := range []string{"", "tokenize", "\x00\a\xff", "\u2028\"\\"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, stage, msg string) {
		b := Event{Stage: stage, Err: errors.New(msg)}.AppendJSON(nil)
		var v struct{ Stage, Error string }
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var ws, wm string
		rs, _ := json.Marshal(stage)
		rm, _ := json.Marshal(msg)
		if json.Unmarshal(rs, &ws) != nil || json.Unmarshal(rm, &wm) != nil || v.Stage != ws || v.Error != wm {
			t.Fatalf("%s decoded to %q %q, want %q %q", b, v.Stage, v.Error, ws, wm)
		}
	})
}
