package bench

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// line is one row of the table; zero values (NaN for ratio) print as "–".
type line struct {
	measure  string
	conns    int
	rate     float64 // per second
	ratio    float64 // ÷ /healthz, or as the note says
	p50, p99 time.Duration
	count    int         // answers, for the status columns
	statuses map[int]int // nil: no status columns
	goal     string
	met      string // yes, no, ? (baseline not run), or empty without a goal
	note     string
	sample   string // the first answer other than 200
}

// httpLine fills a line from an HTTP load.
func httpLine(measure string, conns int, s stats, ratio float64) line {
	return line{measure: measure, conns: conns, rate: s.rate(), ratio: ratio,
		p50: s.percentile(0.5), p99: s.percentile(0.99),
		count: len(s.latencies), statuses: s.statuses, sample: s.sample}
}

var header = []string{"measure", "conns", "per s", "ratio", "p50", "p99", "200", "429", "503", "other", "goal", "met", "note"}

func (l line) cells() []string {
	c := []string{l.measure, dash(l.conns > 0, strconv.Itoa(l.conns)), dash(l.rate > 0, formatRate(l.rate)),
		dash(!math.IsNaN(l.ratio), fmt.Sprintf("%.2f", l.ratio)),
		dash(l.p50 > 0, formatDuration(l.p50)), dash(l.p99 > 0, formatDuration(l.p99))}
	if l.statuses == nil {
		c = append(c, "–", "–", "–", "–")
	} else {
		other := l.count - l.statuses[http.StatusOK] - l.statuses[http.StatusTooManyRequests] - l.statuses[http.StatusServiceUnavailable]
		for _, n := range []int{l.statuses[http.StatusOK], l.statuses[http.StatusTooManyRequests], l.statuses[http.StatusServiceUnavailable], other} {
			c = append(c, strconv.Itoa(n))
		}
	}
	return append(c, l.goal, dash(l.met != "", l.met), l.note)
}

// summary is the progress line of a finished row.
func (l line) summary() string {
	cells := l.cells()
	var parts []string
	for i, h := range header[1:] {
		if v := cells[i+1]; v != "–" && v != "" {
			parts = append(parts, h+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}

// writeTable prints the lines as a Markdown table padded for the terminal,
// then the first refusal of each row that had one.
func writeTable(w io.Writer, lines []line) {
	table := [][]string{header}
	for _, l := range lines {
		table = append(table, l.cells())
	}
	widths := make([]int, len(header))
	for _, r := range table {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for i, r := range table {
		writeRow(w, r, widths)
		if i == 0 {
			rule := make([]string, len(r))
			for j := range rule {
				rule[j] = strings.Repeat("-", widths[j])
			}
			writeRow(w, rule, widths)
		}
	}
	fmt.Fprintln(w, "\nper s: answers 200 a second. ratio: ÷ GET /healthz per s (password logins: ÷ raw argon2id per s).")
	fmt.Fprintln(w, "p50, p99: latency of all answers. met: the goal of issue 8 is reached.")
	for _, l := range lines {
		if l.sample != "" {
			fmt.Fprintf(w, "%s, first answer other than 200: %s\n", l.measure, l.sample)
		}
	}
}

func writeRow(w io.Writer, cells []string, widths []int) {
	var b strings.Builder
	for i, c := range cells {
		b.WriteString("| ")
		b.WriteString(c)
		b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(c))+1))
	}
	b.WriteString("|\n")
	_, _ = io.WriteString(w, b.String())
}

func dash(ok bool, s string) string {
	if !ok {
		return "–"
	}
	return s
}

func formatRate(r float64) string {
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
