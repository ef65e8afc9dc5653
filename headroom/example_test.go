package headroom_test

import (
	"fmt"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

// An adaptive runtime picks the largest model variant that fits and backs
// off when the thermal forecast crosses the severe threshold, through a
// gate so a forecast hovering at 1.0 does not flap.
func Example() {
	h := headroom.Headroom{
		UsableMemMB: provider.Some[uint64](3000), MemLimitBy: headroom.CgroupBy("/pod"),
	}
	variants := []struct {
		name string
		mem  uint64
	}{{"8b-q8", 9 << 30}, {"8b-q4", 5 << 30}, {"3b-q4", 2 << 30}}
	for _, v := range variants {
		if verdict := h.Fits(headroom.Need{MemBytes: v.mem}, false); verdict.Fits {
			fmt.Println("load", v.name, "within", verdict.By)
			break
		}
	}

	backoff := headroom.Gate{On: 1.0, Off: 0.9, Dwell: 2 * time.Second}
	start := time.Unix(0, 0)
	for i, forecast := range []float64{0.8, 1.05, 0.98, 1.1, 1.1, 1.2, 0.95, 0.85, 0.8, 0.8} {
		now := start.Add(time.Duration(i) * time.Second)
		fmt.Printf("%ds forecast %.2f throttle=%v\n", i, forecast, backoff.Observe(now, forecast))
	}
	// Output:
	// load 3b-q4 within cgroup:/pod
	// 0s forecast 0.80 throttle=false
	// 1s forecast 1.05 throttle=false
	// 2s forecast 0.98 throttle=false
	// 3s forecast 1.10 throttle=false
	// 4s forecast 1.10 throttle=false
	// 5s forecast 1.20 throttle=true
	// 6s forecast 0.95 throttle=true
	// 7s forecast 0.85 throttle=true
	// 8s forecast 0.80 throttle=true
	// 9s forecast 0.80 throttle=false
}
