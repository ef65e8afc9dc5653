//go:build windows

package stream_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	win "golang.org/x/sys/windows"

	"github.com/restel/restel/internal/wine"
	"github.com/restel/restel/stream"
)

// A directory restel would use but whose DACL lets others in is refused,
// never tightened: it may be someone else's shared directory.
func TestDebugLogRefusesOpenDACL(t *testing.T) {
	tu, err := win.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	me := tu.User.Sid.String()
	for _, tc := range []struct{ name, sddl, wineGap string }{
		{"everyone may read", "O:" + me + "D:P(A;OICI;FA;;;" + me + ")(A;OICI;FR;;;WD)", ""},
		{"no DACL", "O:" + me + "D:NO_ACCESS_CONTROL",
			"Wine 8 stores a NULL DACL as Unix mode 0, read back as a DACL granting LocalSystem alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wineGap != "" {
				wine.Skip(t, tc.wineGap)
			}
			dir := filepath.Join(t.TempDir(), "runs")
			sd, err := win.SecurityDescriptorFromString(tc.sddl)
			if err != nil {
				t.Fatal(err)
			}
			sa := &win.SecurityAttributes{SecurityDescriptor: sd}
			sa.Length = uint32(unsafe.Sizeof(*sa))
			if err := win.CreateDirectory(win.StringToUTF16Ptr(dir), sa); err != nil {
				t.Fatal(err)
			}
			before, err := win.GetNamedSecurityInfo(dir, win.SE_FILE_OBJECT, win.DACL_SECURITY_INFORMATION)
			if err != nil {
				t.Fatal(err)
			}
			l, err := stream.OpenDebugLog(dir, 0, 0)
			if !errors.Is(err, stream.ErrUnsafeDebugDir) || l != nil {
				l.Close()
				t.Fatalf("OpenDebugLog: %v, %v; want ErrUnsafeDebugDir", l, err)
			}
			after, err := win.GetNamedSecurityInfo(dir, win.SE_FILE_OBJECT, win.DACL_SECURITY_INFORMATION)
			if err != nil || after.String() != before.String() {
				t.Errorf("DACL %s (%v), want %s untouched", after, err, before)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("files written into a refused directory: %v", entries)
			}
		})
	}
}
