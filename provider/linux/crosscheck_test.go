package linux

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/procfs"
	"github.com/restel/restel/provider"
)

// linkSelf turns a copied fixture's plain self/ directory into a real
// process directory plus a "self" symlink to it, as the live /proc has, and
// returns the pid used.
func linkSelf(t *testing.T, root string) int {
	t.Helper()
	const pid = 4242
	if err := os.Rename(filepath.Join(root, "self"), filepath.Join(root, "4242")); err != nil {
		t.Fatal(err)
	}
	skipWineSymlinks(t)
	if err := os.Symlink("4242", filepath.Join(root, "self")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	return pid
}

// TestCrossCheckProcfs parses every procfs fixture with restel's parsers
// and with github.com/prometheus/procfs, and compares.
func TestCrossCheckProcfs(t *testing.T) {
	for _, name := range []string{"procfs-laptop", "procfs-k8s", "procfs-v1", "procfs-oldkernel"} {
		t.Run(name, func(t *testing.T) {
			root := copyProcTree(t, name)
			pid := linkSelf(t, root)
			fs, err := procfs.NewFS(root)
			if err != nil {
				t.Fatal(err)
			}

			mi, err := fs.Meminfo()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(root, "meminfo"))
			m := procMeminfo(b)
			if !m.totalOK || mi.MemTotal == nil || m.total != *mi.MemTotal*1024 {
				t.Errorf("MemTotal: restel %d, procfs %v", m.total, mi.MemTotal)
			}
			if mi.MemAvailable != nil && m.avail != *mi.MemAvailable*1024 {
				t.Errorf("MemAvailable: restel %d, procfs %d", m.avail, *mi.MemAvailable)
			}
			if mi.MemAvailable == nil && m.avail != (*mi.MemFree+*mi.Buffers+*mi.Cached)*1024 {
				t.Errorf("fallback available: restel %d", m.avail)
			}

			st, err := fs.Stat()
			if err != nil {
				t.Fatal(err)
			}
			b, _ = os.ReadFile(filepath.Join(root, "stat"))
			ct, ok := procStat(b)
			c := st.CPUTotal
			const userHZ = 100 // procfs divides ticks by USER_HZ
			total := (c.User + c.Nice + c.System + c.Idle + c.Iowait + c.IRQ + c.SoftIRQ + c.Steal) * userHZ
			busy := total - (c.Idle+c.Iowait)*userHZ
			if !ok || math.Abs(float64(ct.total)-total) > 0.5 || math.Abs(float64(ct.busy)-busy) > 0.5 {
				t.Errorf("cpu: restel %+v, procfs busy %v total %v", ct, busy, total)
			}

			self, err := fs.Self()
			if err != nil {
				t.Fatal(err)
			}
			if self.PID != pid {
				t.Errorf("procfs self = %d", self.PID)
			}
			// Our reader follows the symlinked self and the explicit pid
			// to the same numbers.
			a, _ := newTestProvider(t, root, t.TempDir())
			bp, _ := newTestProvider(t, root, t.TempDir(), WithPID(pid))
			sa, errA := a.Snapshot(context.Background())
			sb, errB := bp.Snapshot(context.Background())
			if errA != nil || errB != nil || sa != sb || !sa.ProcessRSSMB.Valid {
				t.Errorf("self %+v (%v) vs pid %+v (%v)", sa, errA, sb, errB)
			}
			if sa.TotalMemMB != provider.MiB(*mi.MemTotal*1024) {
				t.Errorf("total %+v; procfs MemTotal %d kB", sa.TotalMemMB, *mi.MemTotal)
			}
			// Off the wire, the bytes as read: MemTotal to the byte, and
			// every byte count in the MiB its wire field reports.
			if sa.Bytes.Total != provider.Some(*mi.MemTotal*1024) {
				t.Errorf("total bytes %+v; procfs MemTotal %d kB", sa.Bytes.Total, *mi.MemTotal)
			}
			for _, f := range []struct {
				name      string
				mib, byts provider.Opt[uint64]
			}{
				{"rss", sa.ProcessRSSMB, sa.Bytes.ProcessRSS},
				{"available", sa.AvailableMemMB, sa.Bytes.Available},
				{"total", sa.TotalMemMB, sa.Bytes.Total},
			} {
				if !f.byts.Valid || f.byts.V>>20 != f.mib.V || !f.mib.Valid {
					t.Errorf("%s: %+v bytes, %+v MiB; want both known and agreeing", f.name, f.byts, f.mib)
				}
			}
		})
	}
}
