package stream

import (
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

const cpuTrace = `
@0s     cpu=10
@300ms  cpu=20
@600ms  cpu=30 delay=400ms
@1s     cpu=40 delay=0s
@1.2s   error=meminfo: EIO
@1.4s   cpu=50
@2s     end
`

// cpuSink records the CPU of each sample and when it arrived.
type cpuSink struct {
	t0  time.Time
	mu  sync.Mutex
	got []string
}

func (s *cpuSink) Observe(snap provider.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := "-"
	if snap.CPUPct.Valid {
		c = time.Duration(snap.CPUPct.V * float64(time.Second)).String()[:2]
	}
	s.got = append(s.got, time.Since(s.t0).String()+"="+c)
}

// A sampler over the cache replays a trace tick by tick at k·I: the slow
// span (delay=400ms, past the 100ms read timeout) yields the last
// snapshot, the error span the all-unknown one.
func TestSamplerOnTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr, err := fake.Parse("cpu.trace", strings.NewReader(cpuTrace))
		if err != nil {
			t.Fatal(err)
		}
		p := fake.New(tr)
		c := NewCache(p, 0)
		defer c.Close()
		sink := &cpuSink{t0: time.Now()}
		runSampler(c, sink, 250*time.Millisecond, 1900*time.Millisecond)
		want := []string{
			"250ms=10", "500ms=20",
			// Tick 750 reads into the delay=400ms span: the caller gives up
			// after the 100ms timeout with the last snapshot, at 850ms.
			"850ms=20",
			// Tick 1000 joins that read (it runs to 1150ms), already past its
			// deadline: the last snapshot at once, on time.
			"1s=20",
			"1.25s=-", // the error span: all-unknown
			"1.5s=50", "1.75s=50",
		}
		if strings.Join(sink.got, " ") != strings.Join(want, " ") {
			t.Fatalf("samples\n got %v\nwant %v", sink.got, want)
		}
		if st := c.Stats(); st.Reads != 6 || st.Errors != 1 || st.Timeouts != 2 {
			t.Fatalf("stats %+v, want 6 reads (one late), 1 error, 2 timeouts", st)
		}
	})
}
