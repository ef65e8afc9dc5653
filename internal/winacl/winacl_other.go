//go:build !windows

package winacl

import (
	"errors"
	"os"
)

// Mkdir creates the directory path private to the current user.
func Mkdir(path string) error { return errors.ErrUnsupported }

// Create creates the file path exclusively (never through an existing
// name), write-only and private to the current user.
func Create(path string) (*os.File, error) { return nil, errors.ErrUnsupported }

// Unsafe says why path is not private to the current user, or "" when it
// is.
func Unsafe(path string) (string, error) { return "", errors.ErrUnsupported }
