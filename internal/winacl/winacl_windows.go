//go:build windows

package winacl

import (
	"fmt"
	"os"
	"sync"
	"unsafe"

	win "golang.org/x/sys/windows"
)

// user is the current user's SID and whether the process acts as the
// Administrators group (elevated), read once.
var user = sync.OnceValues(func() (*userInfo, error) {
	tu, err := win.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	u := &userInfo{}
	if u.sid, err = tu.User.Sid.Copy(); err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	if u.system, err = win.CreateWellKnownSid(win.WinLocalSystemSid); err != nil {
		return nil, err
	}
	if u.admins, err = win.CreateWellKnownSid(win.WinBuiltinAdministratorsSid); err != nil {
		return nil, err
	}
	// IsMember on the process token (0: the thread's impersonation or
	// the process token) counts only enabled groups: Administrators is
	// enabled in an elevated process, deny-only in a filtered one.
	u.elevated, _ = win.Token(0).IsMember(u.admins)
	return u, nil
})

type userInfo struct {
	sid, system, admins *win.SID
	elevated            bool
}

// attributes returns security attributes that make a new object owned by
// the user with a protected DACL granting the user full control, which a
// directory's children inherit.
func attributes(dir bool) (*win.SecurityAttributes, error) {
	u, err := user()
	if err != nil {
		return nil, err
	}
	inherit := ""
	if dir {
		inherit = "OICI"
	}
	s := u.sid.String()
	sd, err := win.SecurityDescriptorFromString("O:" + s + "D:P(A;" + inherit + ";FA;;;" + s + ")")
	if err != nil {
		return nil, fmt.Errorf("owner-only security descriptor: %w", err)
	}
	sa := &win.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	return sa, nil
}

// Mkdir creates the directory path private to the current user.
func Mkdir(path string) error {
	sa, err := attributes(true)
	if err != nil {
		return &os.PathError{Op: "mkdir", Path: path, Err: err}
	}
	p, err := win.UTF16PtrFromString(path)
	if err == nil {
		err = win.CreateDirectory(p, sa)
	}
	if err != nil {
		return &os.PathError{Op: "mkdir", Path: path, Err: err}
	}
	return nil
}

// Create creates the file path exclusively (never through an existing
// name), write-only and private to the current user.
func Create(path string) (*os.File, error) {
	sa, err := attributes(false)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	p, err := win.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	// The sharing os.OpenFile uses; CREATE_NEW fails on any existing
	// name, a symlink included.
	h, err := win.CreateFile(p, win.GENERIC_WRITE, win.FILE_SHARE_READ|win.FILE_SHARE_WRITE, sa,
		win.CREATE_NEW, win.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// ACE types whose SID is refused access: they never open an object up.
const (
	accessDeniedACE               = 1
	accessDeniedObjectACE         = 6
	accessDeniedCallbackACE       = 10
	accessDeniedCallbackObjectACE = 12
	// Allow ACEs whose SID sits right after the mask; the object kinds
	// carry GUIDs first and are refused without a look.
	accessAllowedACE         = 0
	accessAllowedCallbackACE = 9
)

// Unsafe says why path is not private to the current user, or "" when it
// is: see the package documentation.
func Unsafe(path string) (string, error) {
	u, err := user()
	if err != nil {
		return "", err
	}
	sd, err := win.GetNamedSecurityInfo(path, win.SE_FILE_OBJECT,
		win.OWNER_SECURITY_INFORMATION|win.DACL_SECURITY_INFORMATION)
	if err != nil {
		return "", &os.PathError{Op: "security info", Path: path, Err: err}
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return "", &os.PathError{Op: "security info", Path: path, Err: err}
	}
	if !owner.Equals(u.sid) && !(u.elevated && owner.Equals(u.admins)) {
		return "owned by " + owner.String() + ", not " + u.sid.String(), nil
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		// SE_DACL_PRESENT clear or a NULL DACL: everyone has full access.
		return "no DACL: open to everyone (want the owner alone)", nil
	}
	for i := range uint32(dacl.AceCount) {
		var ace *win.ACCESS_ALLOWED_ACE
		if err := win.GetAce(dacl, i, &ace); err != nil {
			return "", &os.PathError{Op: "security info", Path: path, Err: err}
		}
		switch ace.Header.AceType {
		case accessDeniedACE, accessDeniedObjectACE, accessDeniedCallbackACE, accessDeniedCallbackObjectACE:
			continue
		case accessAllowedACE, accessAllowedCallbackACE:
			sid := (*win.SID)(unsafe.Pointer(&ace.SidStart))
			if sid.Equals(u.sid) || sid.Equals(u.system) || sid.Equals(u.admins) {
				continue
			}
			return "DACL grants access to " + sid.String() + " (want the owner alone)", nil
		default:
			return fmt.Sprintf("DACL holds an ACE of type %d restel does not read (want the owner alone)", ace.Header.AceType), nil
		}
	}
	return "", nil
}
