package headroom

import (
	"math"
	"testing"
)

func TestEffectiveCPUs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits []CPULimit
		want   CPULimit
		ok     bool
	}{
		{"none", nil, CPULimit{}, false},
		{"host only", []CPULimit{{ByHost, 16}}, CPULimit{ByHost, 16}, true},
		// The Go runtime reads only the leaf: a parent quota of 2 with an
		// unlimited leaf must still give 2.
		{"parent only", []CPULimit{{CgroupBy("/a"), 2}, {ByAffinity, 5}, {ByHost, 5}}, CPULimit{CgroupBy("/a"), 2}, true},
		{"fraction kept", []CPULimit{{CgroupBy("/a/b"), 8.5}, {ByHost, 16}}, CPULimit{CgroupBy("/a/b"), 8.5}, true},
		{"quota tighter than affinity", []CPULimit{{CgroupBy("/x"), 1.5}, {ByAffinity, 4}, {ByHost, 8}}, CPULimit{CgroupBy("/x"), 1.5}, true},
		{"affinity tighter than quota", []CPULimit{{CgroupBy("/x"), 6}, {ByAffinity, 2}, {ByHost, 8}}, CPULimit{ByAffinity, 2}, true},
		{"cpuset narrower than both", []CPULimit{{CgroupBy("/x"), 6}, {CpusetBy("/x"), 1}, {ByAffinity, 2}, {ByHost, 8}}, CPULimit{CpusetBy("/x"), 1}, true},
		{"tie names the first", []CPULimit{{CgroupBy("/x"), 2}, {ByAffinity, 2}, {ByHost, 2}}, CPULimit{CgroupBy("/x"), 2}, true},
		{"unusable skipped", []CPULimit{{CgroupBy("/x"), 0}, {CgroupBy("/y"), math.Inf(1)}, {CgroupBy("/z"), math.NaN()}, {CgroupBy("/w"), -1}, {ByHost, 4}}, CPULimit{ByHost, 4}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := EffectiveCPUs(tc.limits)
			if got != tc.want || ok != tc.ok {
				t.Errorf("EffectiveCPUs = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestQuota(t *testing.T) {
	for _, tc := range []struct {
		quota, period int64
		want          float64
		ok            bool
	}{
		{200000, 100000, 2, true},
		{850000, 100000, 8.5, true},
		{50000, 100000, 0.5, true},
		{-1, 100000, 0, false}, // cgroup v1 "no limit"
		{100000, 0, 0, false},  // a period of 0
		{0, 100000, 0, false},
		{100000, -5, 0, false},
		{math.MaxInt64, 1, float64(math.MaxInt64), true},
	} {
		got, ok := Quota(tc.quota, tc.period)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Quota(%d, %d) = %v, %v; want %v, %v", tc.quota, tc.period, got, ok, tc.want, tc.ok)
		}
	}
}

func TestThrottledRatio(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prev, cur ThrottleCounts
		want      float64
		ok        bool
	}{
		{"quarter", ThrottleCounts{100, 10}, ThrottleCounts{200, 35}, 0.25, true},
		{"none throttled", ThrottleCounts{100, 10}, ThrottleCounts{150, 10}, 0, true},
		{"no period elapsed", ThrottleCounts{100, 10}, ThrottleCounts{100, 10}, 0, false},
		{"periods backwards (moved cgroup)", ThrottleCounts{100, 10}, ThrottleCounts{50, 10}, 0, false},
		{"throttled backwards", ThrottleCounts{100, 10}, ThrottleCounts{150, 5}, 0, false},
		{"more throttled than elapsed", ThrottleCounts{100, 10}, ThrottleCounts{110, 30}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ThrottledRatio(tc.prev, tc.cur)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ThrottledRatio = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
