//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package main

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// startKeys puts the terminal in (a terminal) into cbreak mode, keys
// delivered one at a time and not echoed (ICANON and ECHO off; ISIG kept,
// so Ctrl-C is still SIGINT and Ctrl-Z still suspends), and reads keys in
// a goroutine, calling quit once when quitKey says so. stop ends the
// goroutine, waits for it and restores the terminal's previous mode; it
// must be called on every exit path (watch defers it, and signals end
// watch through its context, so it runs for them too). reapply sets cbreak
// mode again, for after a suspension (Ctrl-Z, then fg: the shell put its
// own mode back meanwhile).
//
// The goroutine waits with select(2) on in and on a pipe that stop writes
// to, so it never blocks in a read that nothing can interrupt, and in's
// file status flags (shared with the shell) are left alone.
func startKeys(in *os.File, quit func()) (stop, reapply func(), err error) {
	fd := int(in.Fd())
	if fd >= unix.FD_SETSIZE {
		return nil, nil, errors.ErrUnsupported
	}
	saved, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, nil, err
	}
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return nil, nil, err
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	raw := *saved
	raw.Lflag &^= unix.ICANON | unix.ECHO | unix.ECHONL
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &raw); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		readKeys(fd, p[0], quit)
	}()
	stop = func() {
		_, _ = unix.Write(p[1], []byte{0})
		<-done
		unix.Close(p[0])
		unix.Close(p[1])
		_ = unix.IoctlSetTermios(fd, ioctlSetTermios, saved)
	}
	reapply = func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, &raw) }
	return stop, reapply, nil
}

// readKeys waits for input on fd or a wake-up on wake, until quitKey
// accepts a read (then it calls quit), fd reaches end of file or fails,
// or wake is readable.
func readKeys(fd, wake int, quit func()) {
	buf := make([]byte, 64)
	for {
		var rs unix.FdSet
		rs.Zero()
		rs.Set(fd)
		rs.Set(wake)
		if _, err := unix.Select(max(fd, wake)+1, &rs, nil, nil, nil); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if rs.IsSet(wake) {
			return
		}
		if !rs.IsSet(fd) {
			continue
		}
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		if quitKey(buf[:n]) {
			quit()
			return
		}
	}
}
