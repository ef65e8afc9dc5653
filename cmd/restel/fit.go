package main

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/restel/restel/headroom"
)

func init() {
	register(command{
		name:    "fit",
		summary: "say whether a model of the given size fits now (exit 0 fits, 1 does not, 2 bad input)",
		usage:   "restel fit --mem SIZE [--gpu-mem SIZE] [--procfs DIR] [--sysfs DIR] [--pid N] [--wait DUR]",
		run:     fitMain,
	})
}

// exitDoesNotFit is fit's status when the need does not fit, or cannot be
// known to fit.
const exitDoesNotFit = 1

// fitMain implements `restel fit --mem SIZE [--gpu-mem SIZE] [roots]`
// (docs/contract.md §10): the verdict as one JSON object and a newline;
// exit 0 when the need fits, 1 when it does not (or a figure it depends on
// is unknown), 2 on bad input.
func fitMain(e env, args []string) int {
	fs := newFlagSet("fit")
	hf := addHeadroomFlags(fs)
	mem := fs.String("mem", "", "host memory the model needs: bytes, or a number with KiB, MiB, GiB or TiB")
	gpuMem := fs.String("gpu-mem", "", "accelerator memory the model needs (same units)")
	if status, ok := parseFlags(e, fs, args); !ok {
		return status
	}
	if status := hf.check(e, fs); status != 0 {
		return status
	}
	if !flagSet(fs, "mem") {
		return usageErr(e, "fit: --mem SIZE is required")
	}
	var need headroom.Need
	var err error
	if need.MemBytes, err = parseSize(*mem); err != nil {
		return usageErr(e, "fit: --mem %q: %v", *mem, err)
	}
	if flagSet(fs, "gpu-mem") {
		if need.GPUMemBytes, err = parseSize(*gpuMem); err != nil {
			return usageErr(e, "fit: --gpu-mem %q: %v", *gpuMem, err)
		}
	}
	h, unified, warn, status := readHeadroom(e, "fit", hf, 0)
	if status != 0 {
		return status
	}
	v := h.Fits(need, unified)
	if status := writeOutput(e, "fit", "stdout", e.stdout, append(v.AppendJSON(nil), '\n')); status != 0 {
		return status
	}
	if warn != nil {
		note(e, "fit: warning: %v", warn)
	}
	if !v.Fits {
		return exitDoesNotFit
	}
	return 0
}

// sizeUnits are the binary units a SIZE may carry.
var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}}

// parseSize parses a memory size: a whole number of bytes ("1073741824"),
// or a number with a binary unit ("512MiB", "1.5GiB", "2 GiB"). A
// fraction of a byte rounds up, so a need is never understated; the value
// must fit in 64 bits. Decimal units (MB, GB) are refused rather than
// guessed at.
func parseSize(s string) (uint64, error) {
	num := strings.TrimSpace(s)
	var shift uint
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, shift = strings.TrimSpace(n), u.shift
			break
		}
	}
	if num == "" {
		return 0, fmt.Errorf("want a size such as 4GiB, 512MiB or a number of bytes")
	}
	intPart, frac, hasFrac := strings.Cut(num, ".")
	if intPart == "" || (hasFrac && frac == "") {
		return 0, fmt.Errorf("%q is not a number", num)
	}
	var v uint64
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			if shift == 0 && (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return 0, fmt.Errorf("unknown unit: want bytes, KiB, MiB, GiB or TiB")
			}
			return 0, fmt.Errorf("%q is not a number", num)
		}
		hi, lo := bits.Mul64(v, 10)
		lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if hi != 0 || carry != 0 {
			return 0, fmt.Errorf("too large")
		}
		v = lo
	}
	// v is the number × 10^len(frac); bytes = v × 2^shift ÷ 10^len(frac).
	hi, lo := bits.Mul64(v, 1<<shift)
	div := uint64(1)
	for range len(frac) {
		if div > (1<<64-1)/10 {
			return 0, fmt.Errorf("too many decimals")
		}
		div *= 10
	}
	if hi >= div {
		return 0, fmt.Errorf("too large")
	}
	q, r := bits.Div64(hi, lo, div)
	if r != 0 {
		if q == 1<<64-1 {
			return 0, fmt.Errorf("too large")
		}
		q++ // a fraction of a byte rounds up: a need is never understated
	}
	return q, nil
}
