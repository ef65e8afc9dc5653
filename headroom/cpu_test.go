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
		{"host only", []CPULimit{{By: ByHost, CPUs: 16}}, CPULimit{By: ByHost, CPUs: 16}, true},
		// The Go runtime reads only the leaf: a parent quota of 2 with an
		// unlimited leaf must still give 2.
		{"parent only", []CPULimit{{By: CgroupBy("/a"), CPUs: 2}, {By: ByAffinity, CPUs: 5}, {By: ByHost, CPUs: 5}}, CPULimit{By: CgroupBy("/a"), CPUs: 2}, true},
		{"fraction kept", []CPULimit{{By: CgroupBy("/a/b"), CPUs: 8.5}, {By: ByHost, CPUs: 16}}, CPULimit{By: CgroupBy("/a/b"), CPUs: 8.5}, true},
		{"quota tighter than affinity", []CPULimit{{By: CgroupBy("/x"), CPUs: 1.5}, {By: ByAffinity, CPUs: 4}, {By: ByHost, CPUs: 8}}, CPULimit{By: CgroupBy("/x"), CPUs: 1.5}, true},
		{"affinity tighter than quota", []CPULimit{{By: CgroupBy("/x"), CPUs: 6}, {By: ByAffinity, CPUs: 2}, {By: ByHost, CPUs: 8}}, CPULimit{By: ByAffinity, CPUs: 2}, true},
		{"cpuset narrower than both", []CPULimit{{By: CgroupBy("/x"), CPUs: 6}, {By: CpusetBy("/x"), CPUs: 1}, {By: ByAffinity, CPUs: 2}, {By: ByHost, CPUs: 8}}, CPULimit{By: CpusetBy("/x"), CPUs: 1}, true},
		{"tie names the first", []CPULimit{{By: CgroupBy("/x"), CPUs: 2}, {By: ByAffinity, CPUs: 2}, {By: ByHost, CPUs: 4}}, CPULimit{By: CgroupBy("/x"), CPUs: 2}, true},
		{"as many as the host is no limit", []CPULimit{{By: CgroupBy("/x"), CPUs: 8}, {By: CpusetBy("/x"), CPUs: 8}, {By: ByAffinity, CPUs: 8}, {By: ByHost, CPUs: 8}}, CPULimit{By: ByHost, CPUs: 8}, true},
		{"a quota above the host is no limit", []CPULimit{{By: CgroupBy("/x"), CPUs: 12}, {By: ByHost, CPUs: 8}}, CPULimit{By: ByHost, CPUs: 8}, true},
		{"unusable skipped", []CPULimit{{By: CgroupBy("/x"), CPUs: 0}, {By: CgroupBy("/y"), CPUs: math.Inf(1)}, {By: CgroupBy("/z"), CPUs: math.NaN()}, {By: CgroupBy("/w"), CPUs: -1}, {By: ByHost, CPUs: 4}}, CPULimit{By: ByHost, CPUs: 4}, true},
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
		{"quarter", ThrottleCounts{By: "a", Periods: 100, Throttled: 10}, ThrottleCounts{By: "a", Periods: 200, Throttled: 35}, 0.25, true},
		{"none throttled", ThrottleCounts{By: "a", Periods: 100, Throttled: 10}, ThrottleCounts{By: "a", Periods: 150, Throttled: 10}, 0, true},
		{"no period elapsed", ThrottleCounts{By: "a", Periods: 100, Throttled: 10}, ThrottleCounts{By: "a", Periods: 100, Throttled: 10}, 0, false},
		{"periods backwards (moved cgroup)", ThrottleCounts{By: "a", Periods: 100, Throttled: 10}, ThrottleCounts{By: "a", Periods: 50, Throttled: 10}, 0, false},
		{"throttled backwards", ThrottleCounts{By: "a", Periods: 100, Throttled: 10}, ThrottleCounts{By: "a", Periods: 150, Throttled: 5}, 0, false},
		{"moved to another cgroup", ThrottleCounts{By: "a", Periods: 100, Throttled: 10}, ThrottleCounts{By: "b", Periods: 200, Throttled: 20}, 0, false},
		{"more throttled than elapsed", ThrottleCounts{By: "a", Periods: 100, Throttled: 10}, ThrottleCounts{By: "a", Periods: 110, Throttled: 30}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ThrottledRatio(tc.prev, tc.cur)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ThrottledRatio = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
