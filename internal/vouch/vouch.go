// Package vouch is how restel's own platform providers tell the
// orchestrator that their reads cannot block, so that it reads them on
// the caller's goroutine without a deadline. The method they vouch with
// takes a [Key], which no package outside this module can name: no other
// type can declare it, and a type that embeds or wraps one of restel's
// providers (and may read something else) does not vouch for itself,
// because the provider names itself in its answer.
package vouch

// Key is the argument of the vouching method,
//
//	func (p *Provider) Vouch(vouch.Key) any
//
// which returns p itself when p's reads cannot block (they make only
// system calls that cannot wait indefinitely: reads of kernel
// pseudo-files such as procfs and cgroupfs, sysctls, counters — no lock
// held across I/O, no device, network or FUSE file system, no sleep, no
// IPC), and nil otherwise.
type Key struct{ _ [0]func() }

// voucher is a provider with the vouching method.
type voucher interface{ Vouch(Key) any }

// For reports whether p vouches for its own reads: it has the vouching
// method and names itself in its answer. A type that embeds a provider
// of restel's gets the method, but the answer names the embedded
// provider, not it. A Vouch that panics counts as false.
func For(p any) (ok bool) {
	v, is := p.(voucher)
	if !is {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	self := v.Vouch(Key{})
	return self != nil && self == p // different dynamic types compare unequal without a panic
}
