package main

import (
	"testing"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// TestFoldReaped: the peak is the higher of the summary's and the reaped
// child's; an unknown reaped peak changes nothing.
func TestFoldReaped(t *testing.T) {
	some := provider.Some[uint64]
	var none provider.Opt[uint64]
	for _, tc := range []struct {
		name                  string
		sampled, reaped, want provider.Opt[uint64]
	}{
		{"summary highest", some(50), some(30), some(50)},
		{"reaped highest", some(50), some(300), some(300)},
		{"nothing sampled", none, some(300), some(300)},
		{"nothing reaped", some(50), none, some(50)},
		{"nothing known", none, none, none},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := foldReaped(aggregate.Usage{ProcessRSSPeakMB: tc.sampled, SampleCount: 2}, tc.reaped)
			if got.ProcessRSSPeakMB != tc.want || got.SampleCount != 2 {
				t.Errorf("peak %v (sample_count %d), want %v and the rest kept", got.ProcessRSSPeakMB, got.SampleCount, tc.want)
			}
		})
	}
}
