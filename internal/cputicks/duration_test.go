package cputicks_test

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/restel/restel/internal/cputicks"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		name            string
		count, num, den uint64
		want            time.Duration
		ok              bool
	}{
		{"jiffies at USER_HZ 100", 250, 1e9, 100, 2500 * time.Millisecond, true},
		{"Apple ticks at hz 100", 1, 1e9, 100, 10 * time.Millisecond, true},
		{"FILETIME 100 ns units", 12345, 100, 1, 1234500 * time.Nanosecond, true},
		{"Mach time, Intel timebase 1/1", 987654321, 1, 1, 987654321, true},
		{"Mach time, Apple silicon timebase 125/3", 24e6, 125, 3, time.Second, true},
		{"rounds down", 1, 125, 3, 41, true},
		{"zero count", 0, 1e9, 100, 0, true},
		{"intermediate product above 2^64 still exact", 1 << 62, 1e9, 1 << 40, (1 << 22) * 1e9, true},
		{"largest Duration", math.MaxInt64, 1, 1, math.MaxInt64, true},
		{"one past the largest Duration", math.MaxInt64 + 1, 1, 1, 0, false},
		{"quotient above 2^64", math.MaxUint64, 1e9, 1, 0, false},
		{"den 0", 5, 1, 0, 0, false},
		{"num 0", 5, 0, 7, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cputicks.Duration(tt.count, tt.num, tt.den)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Duration(%d, %d, %d) = %v, %v; want %v, %v", tt.count, tt.num, tt.den, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzDuration checks Duration against exact big-integer arithmetic.
func FuzzDuration(f *testing.F) {
	f.Add(uint64(250), uint64(1e9), uint64(100))
	f.Add(uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(math.MaxUint64))
	f.Add(uint64(1<<63), uint64(1), uint64(1))
	f.Add(uint64(3), uint64(125), uint64(0))
	f.Fuzz(func(t *testing.T, count, num, den uint64) {
		got, ok := cputicks.Duration(count, num, den)
		if den == 0 {
			if ok {
				t.Fatalf("den 0 gave %v, ok", got)
			}
			return
		}
		want := new(big.Int).Mul(new(big.Int).SetUint64(count), new(big.Int).SetUint64(num))
		want.Quo(want, new(big.Int).SetUint64(den))
		fits := want.IsInt64()
		if ok != fits || (ok && int64(got) != want.Int64()) {
			t.Fatalf("Duration(%d, %d, %d) = %v, %v; want %v (fits %v)", count, num, den, got, ok, want, fits)
		}
	})
}

func ExampleDuration() {
	// 4096 ticks of a 100 Hz clock, and 24,000,000 Mach time units with
	// a 125/3 timebase.
	fmt.Println(cputicks.Duration(4096, 1e9, 100))
	fmt.Println(cputicks.Duration(24e6, 125, 3))
	// Output:
	// 40.96s true
	// 1s true
}

func BenchmarkDuration(b *testing.B) {
	var sink time.Duration
	n := uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		d, _ := cputicks.Duration(n, 125, 3)
		sink += d
		n += 977
	}
	_ = sink
}
