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
// shell's `>` would, decided before the child starts so an unusable
// destination is bad input before anything runs.
//
//   - A new path, or an existing regular file, is replaced atomically: at
//     commit, once the summary is ready, it goes to a temporary file next
//     to it, renamed over it once written, so readers see the old file or
//     the complete new one, never a partial summary. Nothing is created
//     before then: the checks made before the child starts (the existing
//     file opens for writing, or the directory of a new one is writable)
//     leave no trace, and a restel killed mid-run leaves no temporary
//     file behind. An existing file keeps its permission bits (a 0600
//     file stays 0600) and its owner and group; a new one gets 0666 less
//     the umask, as the shell creates it. A symbolic link is followed: its
//     final target is replaced and the link stays a link. A file restel
//     cannot write (a read-only 0444 file) is refused, as `>` refuses it,
//     even when its directory would allow the rename.
//   - An existing regular file is instead truncated and written in place,
//     as `>` writes it, when replacing it would change what `>` keeps: it
//     has other hard links (they must keep seeing it), its owner or group
//     cannot be given to the temporary file (restel may not chown), or no
//     temporary file can be created next to it (a writable file in a
//     read-only directory). Readers may then see it empty or partial
//     while it is written, as with `>`.
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
//     the child finishes, or while restel waits, gets the summary.
type outFile struct {
	path string // as given, for messages
	kind outKind

	// outReplace: the file to replace or create (symbolic links
	// resolved). Its mode, owner and links are read again at commit.
	dest string

	f *os.File // outInPlace: opened by createOut
}

type outKind uint8

const (
	outReplace outKind = iota
	outInPlace
	outFIFO
)

// maxLinks bounds the symbolic links followed to a new file's name, as
// the kernel's own limit (ELOOP after 40) does.
const maxLinks = 40

// createOut decides where path's summary goes and checks that it can be
// written there, creating nothing: the open file for a device, the
// resolved name for a regular or new file.
func createOut(path string) (*outFile, error) {
	o := &outFile{path: path}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dest, err := danglingTarget(path)
		if err != nil {
			return nil, outErr(path, err)
		}
		o.dest = dest
	case err != nil:
		return nil, outErr(path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("--out %s: is a directory", path)
	case fi.Mode().IsRegular() && isStdStream(fi):
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, outErr(path, err)
		}
		o.kind, o.f = outInPlace, f
		return o, nil
	case fi.Mode().IsRegular():
		dest, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, outErr(path, err)
		}
		// Opening for writing without O_TRUNC checks the permission `>`
		// would need and changes nothing.
		f, err := os.OpenFile(dest, os.O_WRONLY, 0)
		if err != nil {
			return nil, outErr(path, err)
		}
		_ = f.Close()
		o.dest = dest
		return o, nil
	case fi.Mode()&fs.ModeNamedPipe != 0:
		if err := canWrite(path); err != nil {
			return nil, outErr(path, err)
		}
		o.kind = outFIFO
		return o, nil
	default:
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, outErr(path, err)
		}
		o.kind, o.f = outInPlace, f
		return o, nil
	}
	// A new file: its directory must let restel create it, as `>` would.
	if err := canCreateIn(filepath.Dir(o.dest)); err != nil {
		return nil, outErr(path, err)
	}
	return o, nil
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

// createTemp creates a new file in dir named after base, with mode 0666
// less the umask (os.CreateTemp's 0600 would not honour it).
func createTemp(dir, base string) (*os.File, error) {
	for {
		name := filepath.Join(dir, "."+base+".restel-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
}

// commit writes b to the destination: into the temporary file renamed
// over it, or straight into a device or FIFO.
func (o *outFile) commit(b []byte) error {
	switch o.kind {
	case outInPlace:
		f := o.f
		o.f = nil
		err := writeAll(f, b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return outErr(o.path, err)
	case outFIFO:
		f, err := openFIFO(o.path, fifoWait)
		if err != nil {
			return outErr(o.path, err)
		}
		err = writeAll(f, b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return outErr(o.path, err)
	}
	return outErr(o.path, replaceFile(o.dest, b))
}

// replaceFile writes b to the regular file dest, or creates it: through a
// temporary file renamed over it, or, where that would lose what `>`
// keeps, in place (see outFile).
func replaceFile(dest string, b []byte) error {
	fi, err := os.Stat(dest)
	exists := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		// Replaced by something else during the run: write it as `>`.
		return writeInPlace(dest, b)
	}
	var own owner
	if exists {
		if own = ownerOf(fi); own.links > 1 {
			return writeInPlace(dest, b)
		}
	}
	tmp, err := createTemp(filepath.Dir(dest), filepath.Base(dest))
	if err != nil {
		if exists {
			return writeInPlace(dest, b)
		}
		return err
	}
	if exists {
		// The owner first: a chown may clear set-id bits the chmod sets.
		if !keepOwner(tmp, own) {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
			return writeInPlace(dest, b)
		}
		err = tmp.Chmod(fi.Mode().Perm())
	}
	if err == nil {
		err = writeAll(tmp, b)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// writeInPlace truncates the existing file dest and writes b into it, as
// the shell's `>` does.
func writeInPlace(dest string, b []byte) error {
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	err = writeAll(f, b)
	if cerr := f.Close(); err == nil {
		err = cerr
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

// discard closes the device if the summary was not committed. It is safe
// on a nil outFile and after commit.
func (o *outFile) discard() {
	if o == nil {
		return
	}
	if o.f != nil {
		_ = o.f.Close()
		o.f = nil
	}
}
