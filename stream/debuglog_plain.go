//go:build !unix && !windows

package stream

import "os"

// Without owners or a permission model of their own (plan9, js, wasip1),
// the mode bits are asked for and nothing more is checked.

func mkdirPrivate(path string) error { return os.Mkdir(path, 0o700) }

func createPrivate(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

func dirPrivacy(string) (string, error) { return "", nil }
