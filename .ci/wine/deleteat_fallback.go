// Added to the standard library's internal/syscall/windows package through
// go test -overlay, for the test binaries .ci/test-windows runs under Wine
// only; never part of restel or of a build for a real Windows machine.
//
// os.RemoveAll deletes through NtSetInformationFile with the
// FileDispositionInformationEx class (Windows 10 1607 and later), which
// Wine 8 does not implement: every call fails with "Invalid function", so
// the cleanup of every t.TempDir holding a file fails its test. Go's own
// fallback for older Windows (FileDispositionInfo, the pre-1607 way) works
// under Wine; this makes Deleteat take it.

package windows

func init() { TestDeleteatFallback = true }
