// Package fusetest mounts a FUSE file system for tests whose reads of
// chosen files never return: the stand-in for a hung FUSE or network file
// system under a fixture root. The server is a few lines of C built by the
// test with the system's compiler and libfuse3 (Linux only); where that is
// impossible (not root, no /dev/fuse, no compiler or libfuse3, a mount
// refused) Mount skips the test, naming why.
package fusetest
