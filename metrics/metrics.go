// Package metrics holds xtraauth's Prometheus metrics in a registry of its
// own (no global state): requests by route template (never the raw path,
// which may carry tokens), login outcomes by front door, captchas made,
// locks taken, password hashing time, notifications and approvals.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the collectors, registered in their own registry. A nil
// *Metrics counts nothing, for tests that build parts alone.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	logins   *prometheus.CounterVec
	captchas prometheus.Counter
	locks    prometheus.Counter
	hashing  prometheus.Histogram
	notified *prometheus.CounterVec
	approved *prometheus.CounterVec
}

// New makes and registers every collector.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xtraauth_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "xtraauth_http_request_duration_seconds", Help: "HTTP request duration by route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xtraauth_logins_total", Help: "Login attempts by front door and outcome.",
		}, []string{"door", "outcome"}),
		captchas: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "xtraauth_captchas_created_total", Help: "Captchas made.",
		}),
		locks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "xtraauth_locks_total", Help: "Logins locked after too many failures.",
		}),
		hashing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "xtraauth_password_hash_seconds", Help: "Time of one password hash.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2},
		}),
		notified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xtraauth_notifications_total", Help: "Notification deliveries by channel and outcome (sent, retry, failed).",
		}, []string{"channel", "outcome"}),
		approved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xtraauth_approvals_total", Help: "Approvals by kind and outcome (requested, approved, rejected, canceled, claimed, expired, ignored).",
		}, []string{"kind", "outcome"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.logins, m.captchas, m.locks, m.hashing, m.notified, m.approved,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry for Prometheus.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Request counts one finished request; route is the template.
func (m *Metrics) Request(method, route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(Method(method), route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

// Login counts one login attempt's outcome at a front door.
func (m *Metrics) Login(door, outcome string) {
	if m != nil {
		m.logins.WithLabelValues(door, outcome).Inc()
	}
}

// Captcha counts one captcha made.
func (m *Metrics) Captcha() {
	if m != nil {
		m.captchas.Inc()
	}
}

// Lock counts one lock taken.
func (m *Metrics) Lock() {
	if m != nil {
		m.locks.Inc()
	}
}

// Hash records the time of one password hash.
func (m *Metrics) Hash(d time.Duration) {
	if m != nil {
		m.hashing.Observe(d.Seconds())
	}
}

// Method names an HTTP method for labels and logs: the standard ones by
// name, anything else "other", so a client sending made-up methods cannot
// make new series or fill the log.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}

// Notification counts one delivery attempt's outcome on a channel.
func (m *Metrics) Notification(channel, outcome string) {
	if m != nil {
		m.notified.WithLabelValues(channel, outcome).Inc()
	}
}

// Approval counts one step of an approval.
func (m *Metrics) Approval(kind, outcome string) {
	if m != nil {
		m.approved.WithLabelValues(kind, outcome).Inc()
	}
}
