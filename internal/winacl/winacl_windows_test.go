//go:build windows

package winacl

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	win "golang.org/x/sys/windows"

	"github.com/restel/restel/internal/wine"
)

// mkdirSD creates the directory path with the security descriptor sddl.
func mkdirSD(t *testing.T, path, sddl string) {
	t.Helper()
	sd, err := win.SecurityDescriptorFromString(sddl)
	if err != nil {
		t.Fatal(err)
	}
	sa := &win.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	if err := win.CreateDirectory(win.StringToUTF16Ptr(path), sa); err != nil {
		t.Fatal(err)
	}
}

func TestPrivateObjects(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "private")
	if err := Mkdir(dir); err != nil {
		t.Fatal(err)
	}
	if err := Mkdir(dir); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Mkdir: %v, want an error wrapping fs.ErrExist", err)
	}
	f, err := Create(filepath.Join(dir, "file"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("x"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(filepath.Join(dir, "file")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over an existing file: %v, want an error wrapping fs.ErrExist", err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "file")} {
		if why, err := Unsafe(p); why != "" || err != nil {
			t.Errorf("%s: %q, %v; want private", p, why, err)
		}
	}
}

// groupsDropped is the Wine gap of DACLs naming a group.
const groupsDropped = "Wine 8 keeps a file's DACL as Unix mode bits: ACEs for groups other than Everyone are dropped"

func TestUnsafe(t *testing.T) {
	u, err := user()
	if err != nil {
		t.Fatal(err)
	}
	me := u.sid.String()
	for _, tc := range []struct {
		name, dacl, want string
		wineGap          string // why Wine cannot hold this DACL, if it cannot
	}{
		{"the user alone", "D:P(A;OICI;FA;;;" + me + ")", "", ""},
		{"a profile's DACL", "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + me + ")", "", ""},
		{"a deny for everyone", "D:P(D;;FA;;;WD)(A;;FA;;;" + me + ")", "", ""},
		{"everyone may read", "D:P(A;;FA;;;" + me + ")(A;;FR;;;WD)", "DACL grants access to S-1-1-0", ""},
		{"users may write", "D:P(A;;FA;;;" + me + ")(A;;FW;;;BU)", "DACL grants access to S-1-5-32-545", groupsDropped},
		{"authenticated users", "D:P(A;;FA;;;AU)", "DACL grants access to S-1-5-11", groupsDropped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wineGap != "" {
				wine.Skip(t, tc.wineGap)
			}
			dir := filepath.Join(t.TempDir(), "d")
			mkdirSD(t, dir, "O:"+me+tc.dacl)
			why, err := Unsafe(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" && why != "" || !strings.Contains(why, tc.want) {
				if sd, err := win.GetNamedSecurityInfo(dir, win.SE_FILE_OBJECT, win.DACL_SECURITY_INFORMATION); err == nil {
					t.Logf("%s: %s", dir, sd)
				}
				t.Fatalf("Unsafe = %q, want %q", why, tc.want)
			}
		})
	}
	if _, err := Unsafe(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Unsafe of a missing path: %v, want an error wrapping fs.ErrNotExist", err)
	}
}
