package bench

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// step does one unit of work for a worker — one HTTP request, one hash —
// and returns its HTTP status (0 for a transport error, with err) and, for
// an answer other than 200, a short sample of it.
type step func(ctx context.Context, worker int) (status int, sample string, err error)

// stats is what one load measured.
type stats struct {
	elapsed   time.Duration
	latencies []time.Duration // sorted
	perSecond []int           // steps finished in each second from the start
	statuses  map[int]int     // 0 counts transport errors
	sample    string          // the first answer other than 200, or the first transport error
}

// worker is one loop's own tally, merged when the load ends.
type worker struct {
	latencies []time.Duration
	perSecond []int
	statuses  map[int]int
	sample    string
}

// load runs workers loops of do for d: each starts a step as soon as its
// last one finished, and none starts after d. Steps in flight at d finish
// and count.
func load(ctx context.Context, workers int, d time.Duration, do step) stats {
	tallies := make([]worker, workers)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range tallies {
		w := &tallies[i]
		w.statuses = map[int]int{}
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				begin := time.Now()
				status, sample, err := do(ctx, i)
				end := time.Now()
				w.add(status, sample, err, end.Sub(begin), int(end.Sub(start)/time.Second))
			}
		})
	}
	wg.Wait()
	return merge(tallies, time.Since(start))
}

func (w *worker) add(status int, sample string, err error, took time.Duration, second int) {
	w.latencies = append(w.latencies, took)
	for len(w.perSecond) <= second {
		w.perSecond = append(w.perSecond, 0)
	}
	w.perSecond[second]++
	w.statuses[status]++
	if err != nil {
		sample = err.Error()
	}
	if w.sample == "" && status != 200 {
		w.sample = sample
	}
}

func merge(tallies []worker, elapsed time.Duration) stats {
	s := stats{elapsed: elapsed, statuses: map[int]int{}}
	for _, w := range tallies {
		s.latencies = append(s.latencies, w.latencies...)
		for len(s.perSecond) < len(w.perSecond) {
			s.perSecond = append(s.perSecond, 0)
		}
		for i, n := range w.perSecond {
			s.perSecond[i] += n
		}
		for status, n := range w.statuses {
			s.statuses[status] += n
		}
		if s.sample == "" {
			s.sample = w.sample
		}
	}
	slices.Sort(s.latencies)
	return s
}

// rate is answers 200 a second over the whole load: refusals, however
// quick, are not throughput.
func (s stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.statuses[200]) / s.elapsed.Seconds()
}

// percentile is the nearest-rank p-th latency (0 < p ≤ 1).
func (s stats) percentile(p float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(s.latencies)))) - 1
	return s.latencies[max(i, 0)]
}

// firstAndLast are the steps finished in the first and in the last whole
// second of a load of d; ok is false when d holds fewer than two seconds.
func (s stats) firstAndLast(d time.Duration) (first, last int, ok bool) {
	n := int(d / time.Second)
	if n < 2 || len(s.perSecond) < n {
		return 0, 0, false
	}
	return s.perSecond[0], s.perSecond[n-1], true
}
