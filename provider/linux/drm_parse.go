package linux

import "math/bits"

// Parsers of the DRM readings (docs/contract.md §9): the kernel's per-client
// usage stats in /proc/<pid>/fdinfo/<fd> (Documentation/gpu/drm-usage-stats.rst)
// and the DRM sysfs attributes. They never allocate and never panic.

const (
	maxDRMName    = 64 // a drm-pdev or driver name longer than this is not one
	maxDRMRegions = 8  // memory regions of one client (vram0, system0, ...)
	maxDRMEngines = 16 // engines of one client (render, copy, video, ...)
)

// drmName is a short name kept without allocating.
type drmName struct {
	b [maxDRMName]byte
	n uint8
}

func (d *drmName) set(b []byte) bool {
	if len(b) == 0 || len(b) > maxDRMName {
		return false
	}
	d.n = uint8(copy(d.b[:], b))
	return true
}

func (d *drmName) bytes() []byte { return d.b[:d.n] }

func (d *drmName) equal(b []byte) bool { return string(d.bytes()) == string(b) }

// drmRegion is one memory region of a client, with the three ways the
// kernel may report it.
type drmRegion struct {
	name                     drmName
	resident, total, legacy  uint64
	hasRes, hasTotal, hasLeg bool
}

// bytes returns what the region holds: resident when the driver gives
// it, else total, else the legacy drm-memory-<region>.
func (r *drmRegion) bytes() (uint64, bool) {
	switch {
	case r.hasRes:
		return r.resident, true
	case r.hasTotal:
		return r.total, true
	case r.hasLeg:
		return r.legacy, true
	}
	return 0, false
}

// drmEngine is one engine's cumulative busy counter of a client: busy
// nanoseconds (drm-engine-<e>), or busy and total GPU cycles
// (drm-cycles-<e>, drm-total-cycles-<e>).
type drmEngine struct {
	name                   drmName
	ns, cycles, total      uint64
	hasNS, hasCyc, hasTotl bool
}

// drmClient is what one fdinfo file says of its DRM client.
type drmClient struct {
	driver, pdev drmName
	id           uint64
	hasID        bool
	regions      [maxDRMRegions]drmRegion
	nRegions     int
	engines      [maxDRMEngines]drmEngine
	nEngines     int
}

// isDRM reports whether the fdinfo was a DRM client's: drm-driver and
// drm-client-id are mandatory for one (the usage-stats doc).
func (c *drmClient) isDRM() bool { return c.driver.n > 0 && c.hasID }

// localRegion reports whether a region is device-local memory: vram*
// (amdgpu, xe, nouveau) or local* (i915 discrete).
func localRegion(name []byte) bool {
	return hasPrefix(name, "vram") || hasPrefix(name, "local")
}

// memory returns the device memory the client holds: the sum over its
// device-local regions; for a client with none (an integrated GPU), the
// sum over its regions that are not stolen carve-outs when there is one
// such region ("system0" of i915, "memory" of msm and panfrost). ok is
// false when the client reports no usable region.
func (c *drmClient) memory() (sum uint64, ok bool) {
	local := false
	for i := range c.regions[:c.nRegions] {
		if localRegion(c.regions[i].name.bytes()) {
			local = true
		}
	}
	single := -1
	if !local {
		for i := range c.regions[:c.nRegions] {
			if hasPrefix(c.regions[i].name.bytes(), "stolen") {
				continue
			}
			if single >= 0 {
				return 0, false // several system regions: none is the device's
			}
			single = i
		}
	}
	for i := range c.regions[:c.nRegions] {
		r := &c.regions[i]
		if local && !localRegion(r.name.bytes()) || !local && i != single {
			continue
		}
		if v, has := r.bytes(); has {
			sum, ok = satAdd(sum, v), true
		}
	}
	return sum, ok
}

// parseFDInfo parses one /proc/<pid>/fdinfo/<fd> file into c (reset
// first). Lines it does not know are skipped; a DRM key whose value does
// not parse is skipped too (the kernel never writes one), so one odd line
// costs that reading, not the client.
func parseFDInfo(b []byte, c *drmClient) {
	c.driver.n, c.pdev.n, c.hasID, c.nRegions, c.nEngines = 0, 0, false, 0, 0
	for len(b) > 0 {
		var ln []byte
		ln, b, _ = line(b)
		key, val, ok := cutKey(ln)
		if !ok || !hasPrefix(key, "drm-") {
			continue
		}
		k := key[len("drm-"):]
		switch {
		case string(k) == "driver":
			c.driver.set(val)
		case string(k) == "pdev":
			c.pdev.set(val)
		case string(k) == "client-id":
			c.id, c.hasID = decimal(val)
		case hasPrefix(k, "engine-capacity-"):
		case hasPrefix(k, "engine-"):
			if v, ok := drmNS(val); ok {
				if e := c.engine(k[len("engine-"):]); e != nil {
					e.ns, e.hasNS = v, true
				}
			}
		case hasPrefix(k, "total-cycles-"):
			if v, ok := decimal(val); ok {
				if e := c.engine(k[len("total-cycles-"):]); e != nil {
					e.total, e.hasTotl = v, true
				}
			}
		case hasPrefix(k, "cycles-"):
			if v, ok := decimal(val); ok {
				if e := c.engine(k[len("cycles-"):]); e != nil {
					e.cycles, e.hasCyc = v, true
				}
			}
		case hasPrefix(k, "resident-"), hasPrefix(k, "total-"), hasPrefix(k, "memory-"):
			v, ok := drmBytes(val)
			if !ok {
				continue
			}
			i := indexByte(k, '-')
			r := c.region(k[i+1:])
			if r == nil {
				continue
			}
			switch k[0] {
			case 'r':
				r.resident, r.hasRes = v, true
			case 't':
				r.total, r.hasTotal = v, true
			default:
				r.legacy, r.hasLeg = v, true
			}
		}
	}
}

// region returns the client's region named name, adding it; nil when the
// name is unusable or the client has maxDRMRegions already.
func (c *drmClient) region(name []byte) *drmRegion {
	for i := range c.regions[:c.nRegions] {
		if c.regions[i].name.equal(name) {
			return &c.regions[i]
		}
	}
	if c.nRegions == maxDRMRegions {
		return nil
	}
	r := &c.regions[c.nRegions]
	*r = drmRegion{}
	if !r.name.set(name) {
		return nil
	}
	c.nRegions++
	return r
}

// engine is region's counterpart for engines.
func (c *drmClient) engine(name []byte) *drmEngine {
	for i := range c.engines[:c.nEngines] {
		if c.engines[i].name.equal(name) {
			return &c.engines[i]
		}
	}
	if c.nEngines == maxDRMEngines {
		return nil
	}
	e := &c.engines[c.nEngines]
	*e = drmEngine{}
	if !e.name.set(name) {
		return nil
	}
	c.nEngines++
	return e
}

// cutKey splits "key:\tvalue" into its trimmed key and value.
func cutKey(ln []byte) (key, val []byte, ok bool) {
	i := indexByte(ln, ':')
	if i <= 0 {
		return nil, nil, false
	}
	return ln[:i], trimAttr(ln[i+1:]), true
}

// drmNS parses an engine's busy time: "N ns".
func drmNS(b []byte) (uint64, bool) {
	num, unit := field(b)
	u, extra := field(unit)
	if string(u) != "ns" || len(extra) != 0 {
		return 0, false
	}
	return decimal(num)
}

// drmBytes parses a memory value: a number of bytes, optionally followed
// by KiB or MiB (the units the usage-stats doc allows).
func drmBytes(b []byte) (uint64, bool) {
	num, unit := field(b)
	u, extra := field(unit)
	if len(extra) != 0 {
		return 0, false
	}
	v, ok := decimal(num)
	if !ok {
		return 0, false
	}
	var shift uint
	switch string(u) {
	case "":
	case "KiB":
		shift = 10
	case "MiB":
		shift = 20
	default:
		return 0, false
	}
	if hi, _ := bits.Mul64(v, 1<<shift); hi != 0 {
		return 0, false
	}
	return v << shift, true
}
