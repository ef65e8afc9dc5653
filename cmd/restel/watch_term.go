package main

import (
	"os"

	"golang.org/x/term"
)

// termSize returns the width and height of the terminal f is open on
// (TIOCGWINSZ on Unix, the console window on Windows), 0 and 0 when
// unknown.
func termSize(f *os.File) (cols, rows int) {
	c, r, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0, 0
	}
	return c, r
}
