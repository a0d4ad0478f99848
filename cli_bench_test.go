package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"xtraauth/bench"
)

// TestBenchCommand runs `xtraauth bench` end to end with a tiny load: it
// must print every row once, and write the profiles asked for.
func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the bench run (a few seconds)")
	}
	t.Parallel()
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	out, errOut, err := newInstall(t).cli("", "bench", "--duration", "300ms", "--connections", "4", "--sessions", "100",
		"--cpuprofile", cpu, "--memprofile", mem)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut)
	}
	tableRows := regexp.MustCompile(`(?m)^\| `).FindAllString(out, -1)
	if want := len(bench.Rows()) + 2; len(tableRows) != want { // + header and rule
		t.Errorf("%d table lines, want %d:\n%s", len(tableRows), want, out)
	}
	for _, name := range bench.Rows() {
		if n := len(regexp.MustCompile(`(?m)^`+name+` +conns|^`+name+` +goal`).FindAllString(errOut, -1)); n != 1 {
			t.Errorf("row %s reported %d times, want once:\n%s", name, n, errOut)
		}
	}
	for _, f := range []string{cpu, mem} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v, want a non-empty file", f, err)
		}
	}

	_, errOut, err = newInstall(t).cli("", "bench", "--only", "auth,nope")
	if err == nil || !strings.Contains(errOut, `"nope"`) {
		t.Errorf("--only nope: %v, %q; want an error naming the row", err, errOut)
	}
}
