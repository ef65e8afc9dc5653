package restelotel_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	rootModule = "github.com/restel/restel"
	otelModule = "github.com/restel/restel/otel"
	// userOtelVersion is the version the throwaway user module requires
	// of this module: any valid version, served from the test's proxy.
	userOtelVersion = "v0.0.0-20990101000000-000000000000"
)

// pseudoVersion is the form of the core module requirement: a
// pseudo-version of a commit of this repository (vX.Y.Z-yyyymmddhhmmss-
// 12 hex digits), which a module proxy can serve once the commit is
// published. v0.0.0 alone names no commit, so only a replace could
// satisfy it, and a replace in this module is ignored by its users.
var pseudoVersion = regexp.MustCompile(`^v0\.0\.0-([0-9]{14})-([0-9a-f]{12})$`)

// TestResolvesOutsideTheRepository builds a program of a module outside
// this repository that depends on this module, the way a user would, with
// no replace of its own and no workspace: the go command resolves this
// module's requirement of the core module through a module proxy. The
// proxy is a directory the test writes (the repository is not published
// here): the core module at the pseudo-version this go.mod requires, cut
// from that commit with git archive, and this module from the working
// tree. Every other module comes from the local module cache's download
// directory, itself a proxy; nothing touches the network. It fails when
// the requirement names no commit of this repository, a commit that is
// not an ancestor of HEAD (it would not be published with it), or one
// whose core module no longer builds with this module's code: move the
// requirement forward (see the Makefile's otel-pin target) whenever the
// bridge starts using something new of the core module.
//
// Outside a git checkout (this module unpacked from a module zip) there is
// no repository to check, and the test skips.
func TestResolvesOutsideTheRepository(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command: %v", err)
	}
	top, err := output(t, "", "git", "rev-parse", "--show-toplevel")
	if err != nil {
		t.Skipf("not in a git checkout of restel: %v", err)
	}
	if _, err := os.Stat(filepath.Join(top, "otel", "go.mod")); err != nil {
		t.Skipf("git top level %s is not restel's: %v", top, err)
	}

	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(gomod, []byte("\nreplace")) && !bytes.Contains(gomod, []byte("\nreplace "+rootModule+" => ../\n")) {
		t.Errorf("go.mod has a replace other than the core module's for development in this repository:\n%s", gomod)
	}
	version := requirement(t, gomod, rootModule)
	m := pseudoVersion.FindStringSubmatch(version)
	if m == nil {
		t.Fatalf("go.mod requires %s %s, want a pseudo-version of a commit of this repository (vX.Y.Z alone names no commit; its users ignore this module's replace)", rootModule, version)
	}
	stamp, short := m[1], m[2]
	commit, err := output(t, top, "git", "rev-parse", "--verify", "--quiet", short+"^{commit}")
	if err != nil {
		t.Fatalf("go.mod requires %s %s, but commit %s is not in this repository", rootModule, version, short)
	}
	if _, err := output(t, top, "git", "merge-base", "--is-ancestor", commit, "HEAD"); err != nil {
		t.Errorf("the required commit %s is not an ancestor of HEAD: it would not be published with it", short)
	}
	ct, err := output(t, top, "git", "log", "-1", "--format=%ct", commit)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	commitTime := time.Unix(sec, 0).UTC()
	if got := commitTime.Format("20060102150405"); got != stamp {
		t.Errorf("pseudo-version time %s, but commit %s was committed at %s: a proxy fetching from git would refuse it", stamp, short, got)
	}

	dir := t.TempDir()
	proxy := filepath.Join(dir, "proxy")
	archive, err := exec.Command("git", "-C", top, "archive", "--format=zip", commit).Output()
	if err != nil {
		t.Fatalf("git archive %s: %v", short, err)
	}
	rootZip, rootMod := moduleZipFromArchive(t, archive, rootModule+"@"+version)
	writeProxy(t, proxy, rootModule, version, commitTime, rootMod, rootZip)
	otelZip := moduleZipFromDir(t, ".", otelModule+"@"+userOtelVersion)
	writeProxy(t, proxy, otelModule, userOtelVersion, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), gomod, otelZip)

	user := filepath.Join(dir, "user")
	writeFile(t, filepath.Join(user, "go.mod"), "module example.com/user\n\ngo 1.26.0\n\nrequire "+otelModule+" "+userOtelVersion+"\n")
	writeFile(t, filepath.Join(user, "main.go"), userProgram)

	cache, err := output(t, "", goBin, "env", "GOMODCACHE")
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(cache, "cache", "download")),
		"GOMODCACHE="+filepath.Join(dir, "modcache"),
		"GOFLAGS=-mod=mod -modcacherw",
		"GOSUMDB=off", "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY=",
		"GOWORK=off", "GOTOOLCHAIN=local",
	)
	for _, args := range [][]string{{"mod", "tidy"}, {"run", "."}} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir, cmd.Env = user, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in a module outside the repository: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[0] == "run" && !strings.Contains(string(out), "restel.cpu.time") {
			t.Errorf("the user's program printed %q, want the names of restel's metrics", out)
		}
	}
	sum, err := os.ReadFile(filepath.Join(user, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if got := requirement(t, sum, rootModule); got != version {
		t.Errorf("the user's module resolved %s %s, want the required %s", rootModule, got, version)
	}
}

// userProgram is the user's program: the bridge on an SDK MeterProvider,
// fed by restel's default monitor, one collection.
const userProgram = `package main

import (
	"context"
	"fmt"

	"github.com/restel/restel"
	restelotel "github.com/restel/restel/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func main() {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(context.Background())
	m := restel.Default()
	defer m.Close()
	if _, err := restelotel.RegisterMetrics(mp, m); err != nil {
		panic(err)
	}
	m.CurrentSnapshot(0)
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, x := range sm.Metrics {
			fmt.Println(x.Name)
		}
	}
}
`

// requirement returns the version gomod requires of module, or fails.
func requirement(t *testing.T, gomod []byte, module string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(?:require\s+|\s+)` + regexp.QuoteMeta(module) + `\s+(\S+)`)
	m := re.FindSubmatch(gomod)
	if m == nil {
		t.Fatalf("no requirement of %s in:\n%s", module, gomod)
	}
	return string(m[1])
}

// output runs a command in dir and returns its trimmed standard output.
func output(t *testing.T, dir, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeProxy writes one module version in the GOPROXY file layout:
// $module/@v/list, $version.info, $version.mod and $version.zip.
func writeProxy(t *testing.T, proxy, module, version string, at time.Time, gomod, zipData []byte) {
	t.Helper()
	d := filepath.Join(proxy, filepath.FromSlash(module), "@v")
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, at})
	writeFile(t, filepath.Join(d, "list"), version+"\n")
	writeFile(t, filepath.Join(d, version+".info"), string(info))
	writeFile(t, filepath.Join(d, version+".mod"), string(gomod))
	writeFile(t, filepath.Join(d, version+".zip"), string(zipData))
}

// moduleZipFromArchive turns a git archive of the repository into the
// core module's zip (files under prefix/, without the nested modules'
// directories, symbolic links or directories) and returns it with the
// module's go.mod.
func moduleZipFromArchive(t *testing.T, archive []byte, prefix string) (zipData, gomod []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	var nested []string
	for _, f := range zr.File {
		if path.Base(f.Name) == "go.mod" && f.Name != "go.mod" {
			nested = append(nested, path.Dir(f.Name)+"/")
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || f.Mode()&fs.ModeSymlink != 0 || hasAnyPrefix(f.Name, nested) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "go.mod" {
			gomod = b
		}
		addFile(t, zw, prefix+"/"+f.Name, b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if gomod == nil {
		t.Fatal("the archive has no go.mod")
	}
	return buf.Bytes(), gomod
}

// moduleZipFromDir zips the regular files under dir as a module zip.
func moduleZipFromDir(t *testing.T, dir, prefix string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		addFile(t, zw, prefix+"/"+filepath.ToSlash(rel), b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func addFile(t *testing.T, zw *zip.Writer, name string, b []byte) {
	t.Helper()
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write(b)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
