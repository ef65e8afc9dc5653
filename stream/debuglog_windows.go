//go:build windows

package stream

import (
	"os"

	"github.com/restel/restel/internal/winacl"
)

// On Windows a private directory or file is what Unix calls 0700 or 0600
// in Windows' terms: owned by the user, with a protected DACL that grants
// the user alone (winacl). An existing directory passes when the user owns
// it and its DACL lets in no one but the user, LocalSystem and the
// Administrators group (the DACL Windows gives %LocalAppData%).

func mkdirPrivate(path string) error { return winacl.Mkdir(path) }

func createPrivate(path string) (*os.File, error) { return winacl.Create(path) }

func dirPrivacy(path string) (string, error) { return winacl.Unsafe(path) }
