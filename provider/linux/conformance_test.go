package linux

import (
	"path/filepath"
	"testing"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/providertest"
)

// TestConformance runs the provider conformance suite against fixture
// trees (fast and slow signals) and, where present, the live system.
func TestConformance(t *testing.T) {
	trees := []struct{ name, procfs, sysfs string }{
		{"k8s+laptop sysfs", "procfs-k8s", "sysfs-laptop"},
		{"cgroup v1", "procfs-v1", "cgroup-v1"},
		{"old kernel+hostile sysfs", "procfs-oldkernel", "sysfs-hostile"},
	}
	for _, tr := range trees {
		t.Run(tr.name, func(t *testing.T) {
			providertest.Run(t, func(t *testing.T) provider.SnapshotProvider {
				p, err := New(WithProcFS(filepath.Join("testdata", tr.procfs)), WithSysFS(filepath.Join("testdata", tr.sysfs)), WithReadTimeout(fixtureReadTimeout))
				if err != nil {
					t.Fatal(err)
				}
				return p
			})
		})
	}
	t.Run("live", func(t *testing.T) {
		skipWithoutProc(t)
		providertest.Run(t, func(t *testing.T) provider.SnapshotProvider {
			p, err := New()
			if err != nil {
				t.Fatal(err)
			}
			return p
		})
	})
}
