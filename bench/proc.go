package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// resetPeakRSS starts the process's peak resident set (VmHWM) afresh, so
// a row's peak is its own (Linux 4.0 and later); false where it cannot.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is the process's peak resident set in bytes (Linux only).
func peakRSS() (int64, bool) {
	v, ok := procField("/proc/self/status", "VmHWM:")
	if !ok {
		return 0, false
	}
	kib, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return kib * 1024, err == nil
}

// cpuModel is " (the CPU's model name)", or "" where unknown.
func cpuModel() string {
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		return " (" + strings.TrimSpace(strings.TrimPrefix(v, ":")) + ")"
	}
	return ""
}

// loadAverage is ", load average N before the run" (the last minute's),
// or "" where unknown: other work on the machine skews every row.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(raw)); err == nil && len(fields) > 0 {
		return ", load average " + fields[0] + " before the run"
	}
	return ""
}

// procField is the rest of the first line of file that starts with name.
func procField(file, name string) (string, bool) {
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
