package guard_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestSnapshotRecoversPanics(t *testing.T) {
	clk := fake.NewManualClock(time.UnixMilli(77))
	p := provider.Func(func(context.Context) (provider.Snapshot, error) { panic("driver exploded") })
	s, err := guard.Snapshot(context.Background(), p.Snapshot, clk)
	if !errors.Is(err, guard.ErrPanic) || !strings.Contains(err.Error(), "driver exploded") {
		t.Fatalf("err = %v", err)
	}
	if s != provider.Unknown(time.UnixMilli(77)) {
		t.Errorf("snapshot = %+v", s)
	}
	ok := provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{CPUPct: provider.Some(1.0)}, nil
	})
	s, err = guard.Snapshot(context.Background(), ok.Snapshot, clk)
	if err != nil || s.CapturedAtMS != 77 || s.CPUPct != provider.Some(1.0) {
		t.Errorf("got %+v %v; want stamped snapshot", s, err)
	}
}
