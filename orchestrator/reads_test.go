package orchestrator

import "testing"

// The tests of this package are black-box: they check what a caller sees.
// How many provider reads a set of misses causes, which read a joiner
// waits on and how the TTL counts hits belong to internal/snapcache, which
// owns read coalescing. What stays here is the promises docs/contract.md
// makes about reads, each asserted as that promise by the helpers below.

// assertNoProviderRead fails the test when f reads the provider, as told
// by reads (the provider's own read counter). It states the promises that
// something costs no read: a cached snapshot within its maxAge, Headroom,
// an off run, a second Finish, a run or sampler that has stopped, a
// monitor that has closed (docs/contract.md §1, §3).
func assertNoProviderRead(t testing.TB, reads func() int64, what string, f func()) {
	t.Helper()
	before := reads()
	f()
	if n := reads() - before; n != 0 {
		t.Fatalf("%s read the provider %d times, want none", what, n)
	}
}

// assertOneProviderRead fails the test unless f reads the provider exactly
// once: the promises that concurrent misses share one read and that a
// boundary run reads its start and its end snapshot, nothing more
// (docs/contract.md §1, §3).
func assertOneProviderRead(t testing.TB, reads func() int64, what string, f func()) {
	t.Helper()
	before := reads()
	f()
	if n := reads() - before; n != 1 {
		t.Fatalf("%s read the provider %d times, want exactly one", what, n)
	}
}
