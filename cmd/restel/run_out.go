package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// outFile is where `restel run --out FILE` writes the summary: where the
// shell's `>` would, resolved once before the child starts, so an
// unusable destination is bad input before anything runs, and what the
// name meant then is what gets written, not what it may name by the end.
//
//   - A new path is created (empty, 0666 less the umask) before the child
//     starts, as `>` creates it, and then replaced as an existing file is
//     (below), so readers see it empty or whole. A directory in which the
//     file cannot be created (read-only, or /sys, /proc) is bad input
//     before the child runs.
//   - An existing regular file is opened for writing before the child
//     starts (a read-only 0444 file is refused, as `>` refuses it) and
//     replaced atomically at commit: the summary goes to a temporary file
//     created next to it, renamed over it once written, so readers see
//     the old file or the complete new one, never a partial summary. It
//     keeps its permission bits (a 0600 file stays 0600) and its owner and
//     group. Nothing is created next to it while the child runs, so a
//     restel killed mid-run leaves no temporary file behind.
//   - Such a file is instead truncated and written in place, through the
//     descriptor opened before the child started, when replacing it would
//     change what `>` keeps: it has other hard links (they must keep
//     seeing it), its owner or group cannot be given to the temporary file
//     (restel may not chown), or no temporary file can be created next to
//     it (a writable file in a read-only directory). Readers may then see
//     it empty or partial while it is written, as with `>`.
//   - A symbolic link is followed once, before the child starts: its final
//     target is written and the link stays a link.
//   - New and regular files are written relative to their directory,
//     opened once before the child starts (openat, renameat), never by
//     looking the path up again. At commit restel checks, without
//     following symbolic links, that the directory's name still leads to
//     that directory and that the file's name still is the file resolved
//     before (same device and inode). A destination that changed while the
//     child ran (a name swapped for a symbolic link, a directory swapped
//     or moved) is not written: commit returns errChanged.
//   - restel's own standard output or standard error, when FILE names one
//     that is a regular file (--out /dev/stdout with stdout redirected to
//     a file), is appended to in place: replacing it would throw away the
//     child's output already written there.
//   - Anything else that is not a directory (a device such as /dev/null or
//     /dev/tty, /dev/stdout on a terminal) is opened before the child
//     starts and written in place; it is never renamed over.
//   - A FIFO (a named pipe, or /dev/stdout on a pipe) is opened only once
//     the summary is ready, without blocking: a shell's `>` would block
//     until a reader opens the other end, and so does restel, for at most
//     fifoWait; past that the FIFO has no reader, and the summary goes to
//     stderr after a one-line note. A reader that opens the FIFO before
//     the child finishes, or while restel waits, gets the summary. What
//     the name opens then must be the FIFO found before the child started
//     (same device and inode), or nothing is written (errChanged).
type outFile struct {
	path string // as given, for messages
	kind outKind

	// outNew, outReplace: the directory of the file (symbolic links
	// resolved), opened before the child starts, and the file's name in
	// it.
	dir  *outDir
	name string
	// outNew, outReplace, outFIFO: the file resolved before the child
	// started.
	id fileID

	f *os.File // outNew, outReplace, outInPlace: opened by createOut
}

type outKind uint8

const (
	outReplace outKind = iota
	outNew
	outInPlace
	outFIFO
)

// errChanged is commit's error for a destination that is no longer what
// createOut resolved.
var errChanged = errors.New("changed while the command ran; not written")

// maxLinks bounds the symbolic links followed to a new file's name, as
// the kernel's own limit (ELOOP after 40) does.
const maxLinks = 40

// createOut resolves where path's summary goes and opens it, before the
// child starts: a new file is created, an existing one opened for
// writing, a device opened; a FIFO is only checked (opening it would
// block).
func createOut(path string) (res *outFile, err error) {
	o := &outFile{path: path}
	defer func() {
		if err != nil {
			o.discard()
			res, err = nil, outErr(path, err)
		}
	}()
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dest, err := danglingTarget(path)
		if err != nil {
			return nil, err
		}
		if err := o.openDir(dest); err != nil {
			return nil, err
		}
		// O_EXCL: the name must still be free, not a link planted since.
		if o.f, err = o.dir.openFile(o.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666); err != nil {
			return nil, err
		}
		o.kind = outNew
		return o, o.fileID()
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, errors.New("is a directory")
	case fi.Mode().IsRegular() && isStdStream(fi):
		o.kind = outInPlace
		o.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		return o, err
	case fi.Mode().IsRegular():
		dest, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, err
		}
		if err := o.openDir(dest); err != nil {
			return nil, err
		}
		// Opening for writing without O_TRUNC checks the permission `>`
		// would need and changes nothing.
		if o.f, err = o.dir.openFile(o.name, os.O_WRONLY, 0); err != nil {
			return nil, err
		}
		o.kind = outReplace
		if err := o.fileID(); err != nil {
			return nil, err
		}
		if !o.id.same(idOf(fi)) {
			return nil, errors.New("changed while being opened")
		}
		return o, nil
	case fi.Mode()&fs.ModeNamedPipe != 0:
		if err := canWrite(path); err != nil {
			return nil, err
		}
		o.kind, o.id = outFIFO, idOf(fi)
		return o, nil
	default:
		o.kind = outInPlace
		o.f, err = os.OpenFile(path, os.O_WRONLY, 0)
		return o, err
	}
}

// openDir opens the directory of dest and keeps dest's last element.
func (o *outFile) openDir(dest string) error {
	d, err := openOutDir(filepath.Dir(dest))
	if err != nil {
		return err
	}
	o.dir, o.name = d, filepath.Base(dest)
	return nil
}

// fileID records the identity of o.f, which must be a regular file.
func (o *outFile) fileID() error {
	fi, err := o.f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	o.id = idOf(fi)
	return nil
}

// unchanged checks that o.dir is still where its name leads and that
// o.name in it is still the file resolved before the child started, not
// following a symbolic link.
func (o *outFile) unchanged() error {
	if !o.dir.inPlace() {
		return errChanged
	}
	id, regular, err := o.dir.lstat(o.name)
	if err != nil || !regular || !id.same(o.id) {
		return errChanged
	}
	return nil
}

// danglingTarget returns the name a shell's `>` creates for path, which
// does not exist: path itself, or, when path is a symbolic link to a
// missing file (possibly through further links), that file.
func danglingTarget(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", errors.New("too many levels of symbolic links")
}

// isStdStream reports whether fi is the file restel's standard output or
// standard error is open on.
func isStdStream(fi fs.FileInfo) bool {
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		if f == nil {
			continue
		}
		if sfi, err := f.Stat(); err == nil && os.SameFile(fi, sfi) {
			return true
		}
	}
	return false
}

// createTemp creates a new file in o.dir named after o.name, with mode
// 0666 less the umask (os.CreateTemp's 0600 would not honour it). It
// returns the file and its name in o.dir.
func (o *outFile) createTemp() (*os.File, string, error) {
	for {
		name := "." + o.name + ".restel-" + strconv.FormatUint(rand.Uint64(), 36)
		f, err := o.dir.openFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
}

// commit writes b to the destination: into the file created before the
// child started, into a temporary file renamed over the existing one, or
// straight into a device or FIFO.
func (o *outFile) commit(b []byte) error {
	switch o.kind {
	case outInPlace:
		return outErr(o.path, o.writeHeld(b, false))
	case outFIFO:
		// Checked before opening, so that a name swapped for a device is
		// not even opened, and again on what was opened.
		if fi, err := os.Stat(o.path); err != nil || !idOf(fi).same(o.id) {
			return outErr(o.path, errChanged)
		}
		f, err := openFIFO(o.path, fifoWait)
		if err != nil {
			return outErr(o.path, err)
		}
		if fi, err := f.Stat(); err != nil || !idOf(fi).same(o.id) {
			_ = f.Close()
			return outErr(o.path, errChanged)
		}
		err = writeAll(f, b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return outErr(o.path, err)
	}
	// outNew, outReplace. The file created before the child started is
	// replaced too, so that readers see it empty or whole.
	err := o.replace(b)
	o.kind = outReplace // written: discard must not remove it
	o.discard()
	return outErr(o.path, err)
}

// writeHeld writes b through o.f, from its start when truncate is set,
// and closes it.
func (o *outFile) writeHeld(b []byte, truncate bool) error {
	f := o.f
	o.f = nil
	var err error
	if truncate {
		if err = f.Truncate(0); err == nil {
			_, err = f.Seek(0, 0)
		}
	}
	if err == nil {
		err = writeAll(f, b)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// replace writes b over the existing regular file o.f: through a
// temporary file renamed over it, or, where that would lose what `>`
// keeps, in place (see outFile).
func (o *outFile) replace(b []byte) error {
	if err := o.unchanged(); err != nil {
		return err
	}
	fi, err := o.f.Stat()
	if err != nil {
		return err
	}
	own := ownerOf(fi)
	if own.links > 1 {
		return o.writeHeld(b, true)
	}
	tmp, name, err := o.createTemp()
	if err != nil {
		return o.writeHeld(b, true)
	}
	// The owner first: a chown may clear set-id bits the chmod sets.
	if !keepOwner(tmp, own) {
		_ = tmp.Close()
		_ = o.dir.remove(name)
		return o.writeHeld(b, true)
	}
	err = tmp.Chmod(fi.Mode().Perm())
	if err == nil {
		err = writeAll(tmp, b)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Checked again right before the rename, which replaces the name
		// itself and never writes through a symbolic link.
		err = o.unchanged()
	}
	if err == nil {
		// Closed first: a file still open cannot be renamed over on
		// every OS.
		_ = o.f.Close()
		o.f = nil
		err = o.dir.rename(name, o.name)
	}
	if err != nil {
		_ = o.dir.remove(name)
	}
	return err
}

func writeAll(f *os.File, b []byte) error {
	n, err := f.Write(b)
	if err == nil && n < len(b) {
		err = errors.New("short write")
	}
	return err
}

// outErr names --out's path in err (nil stays nil). The *fs.PathError or
// *os.LinkError from the temporary file names a file the user never asked
// for: only its cause is kept.
func outErr(path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("--out %s: %w", path, err)
}

// discard closes what createOut opened. It is safe on a nil outFile and
// after commit. A new file created by createOut and never written (the
// command could not start) is removed again, if its name still is that
// file: a command that never ran leaves no trace.
func (o *outFile) discard() {
	if o == nil {
		return
	}
	created := o.kind == outNew && o.f != nil
	if o.f != nil {
		_ = o.f.Close()
		o.f = nil
	}
	if created && o.unchanged() == nil {
		_ = o.dir.remove(o.name)
	}
	if o.dir != nil {
		o.dir.close()
		o.dir = nil
	}
}
