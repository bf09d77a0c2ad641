// Package metrics is what the town hall's monitoring reads from the
// collector: Prometheus metrics (batches by outcome, records stored,
// refusals by reason, silent kiosks, store latency, the database pool's
// use) and /healthz and /readyz, on a listener of their own (plain HTTP,
// loopback by default), never on the kiosks' and staff's TLS port.
package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// ReadyWithin is how soon the store must answer for /readyz.
const ReadyWithin = time.Second

// PoolStat is a database pool's use (pgstore.Store.Pool).
type PoolStat struct {
	Total, Idle, InUse, Max int32
	Waits                   int64
	WaitTime                time.Duration
}

// Options configure Metrics.
type Options struct {
	// SilentAfter: a kiosk whose last heartbeat is older is silent.
	SilentAfter time.Duration
	// Pool reports the database pool (nil: a store without one).
	Pool func() PoolStat
	Now  func() time.Time
}

// Metrics holds the collector's metrics in a registry of its own.
type Metrics struct {
	reg      *prometheus.Registry
	o        Options
	batches  *prometheus.CounterVec
	refusals *prometheus.CounterVec
	records  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	failures *prometheus.CounterVec
}

// New registers the metrics; st is asked at each scrape for silent kiosks.
func New(st store.Store, o Options) *Metrics {
	if o.SilentAfter <= 0 {
		o.SilentAfter = 15 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{reg: prometheus.NewRegistry(), o: o,
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collector_batches_total",
			Help: "Kiosk batches answered, by outcome: stored, refused_in_part, refused, unavailable (503), error."}, []string{"outcome"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collector_refusals_total",
			Help: "Kiosk requests or records refused, by reason: malformed, forbidden, too_large, record (a record of a batch refused: conflict, chain break, bad hash…), unavailable, error."}, []string{"reason"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collector_records_total",
			Help: "Records received, by result: stored (new) or duplicate (already held, acknowledged again)."}, []string{"result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "collector_store_seconds",
			Help: "How long store calls took, by operation.", Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5, 10, 30, 60}}, []string{"op"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "collector_store_failures_total",
			Help: "Store calls that failed, by operation and kind: unavailable (the database out of reach) or error."}, []string{"op", "kind"}),
	}
	m.reg.MustRegister(m.batches, m.refusals, m.records, m.latency, m.failures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &kioskCollector{st: st, m: m})
	if o.Pool != nil {
		m.registerPool(o.Pool)
	}
	return m
}

func (m *Metrics) registerPool(pool func() PoolStat) {
	conns := prometheus.NewDesc("collector_db_pool_connections", "Database pool connections, by state: in_use, idle, total, max.", []string{"state"}, nil)
	waits := prometheus.NewDesc("collector_db_pool_waits_total", "Times a request waited for a free database connection.", nil, nil)
	waited := prometheus.NewDesc("collector_db_pool_wait_seconds_total", "Time spent waiting for database connections.", nil, nil)
	m.reg.MustRegister(collectorFunc{descs: []*prometheus.Desc{conns, waits, waited}, collect: func(ch chan<- prometheus.Metric) {
		p := pool()
		for state, v := range map[string]int32{"in_use": p.InUse, "idle": p.Idle, "total": p.Total, "max": p.Max} {
			ch <- prometheus.MustNewConstMetric(conns, prometheus.GaugeValue, float64(v), state)
		}
		ch <- prometheus.MustNewConstMetric(waits, prometheus.CounterValue, float64(p.Waits))
		ch <- prometheus.MustNewConstMetric(waited, prometheus.CounterValue, p.WaitTime.Seconds())
	}})
}

// Observer times store calls (store.BoundOptions.Observer).
func (m *Metrics) Observer(op string, took time.Duration, err error) {
	m.latency.WithLabelValues(op).Observe(took.Seconds())
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAlreadyMarked) {
		kind := "error"
		if store.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded) {
			kind = "unavailable"
		}
		m.failures.WithLabelValues(op, kind).Inc()
	}
}

// Store counts what Ingest did with the records it was given.
func (m *Metrics) Store(st store.Store) store.Store { return &counting{Store: st, m: m} }

type counting struct {
	store.Store
	m *Metrics
}

func (c *counting) Ingest(ctx context.Context, in store.Ingest) (store.Result, error) {
	res, err := c.Store.Ingest(ctx, in)
	if err == nil {
		c.m.records.WithLabelValues("stored").Add(float64(res.Stored))
		c.m.records.WithLabelValues("duplicate").Add(float64(res.Duplicates))
		if len(res.Refused) > 0 {
			c.m.refusals.WithLabelValues("record").Inc()
		}
	}
	return res, err
}

// Batches counts the answers to kiosk batches by their status.
func (m *Metrics) Batches(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != ksync.PathBatch {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		outcome, reason := "stored", ""
		switch c := sw.code; {
		case c == http.StatusOK && sw.refused:
			outcome = "refused_in_part"
		case c == http.StatusOK:
		case c == http.StatusServiceUnavailable:
			outcome, reason = "unavailable", "unavailable"
		case c == http.StatusForbidden:
			outcome, reason = "refused", "forbidden"
		case c == http.StatusRequestEntityTooLarge:
			outcome, reason = "refused", "too_large"
		case c >= 400 && c < 500:
			outcome, reason = "refused", "malformed"
		default:
			outcome, reason = "error", "error"
		}
		m.batches.WithLabelValues(outcome).Inc()
		if reason != "" {
			m.refusals.WithLabelValues(reason).Inc()
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	code    int
	refused bool
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }

// Write notes whether the JSON reply names refused records (the key
// appears only then: ksync.Reply omits it when empty).
func (w *statusWriter) Write(b []byte) (int, error) {
	w.refused = w.refused || bytes.Contains(b, []byte(`"refused":[{`))
	return w.ResponseWriter.Write(b)
}

// kioskCollector counts silent kiosks at each scrape, asking the store
// (within ReadyWithin: a scrape never hangs on a frozen database).
type kioskCollector struct {
	st store.Store
	m  *Metrics
}

var (
	kiosksDesc = prometheus.NewDesc("collector_kiosks", "Kiosks known to the collector.", nil, nil)
	silentDesc = prometheus.NewDesc("collector_kiosks_silent", "Kiosks with no heartbeat for longer than silent_after (or never).", nil, nil)
	upDesc     = prometheus.NewDesc("collector_store_up", "1 when the store answered this scrape within 1 s.", nil, nil)
)

func (k *kioskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- kiosksDesc
	ch <- silentDesc
	ch <- upDesc
}

func (k *kioskCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), ReadyWithin)
	defer cancel()
	ks, err := k.st.Kiosks(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	now, silent := k.m.o.Now(), 0
	for _, s := range ks {
		if s.HeartbeatAt.IsZero() || now.Sub(s.HeartbeatAt) > k.m.o.SilentAfter {
			silent++
		}
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(kiosksDesc, prometheus.GaugeValue, float64(len(ks)))
	ch <- prometheus.MustNewConstMetric(silentDesc, prometheus.GaugeValue, float64(silent))
}

type collectorFunc struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// Handler serves /metrics, /healthz (the process answers) and /readyz
// (the store answers within ReadyWithin: send kiosks here).
func (m *Metrics) Handler(st store.Store) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Timeout: 10 * time.Second}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if err := store.Ping(r.Context(), st, ReadyWithin); err != nil {
			http.Error(w, fmt.Sprintf("not ready: the store did not answer within %v: %v", ReadyWithin, err), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "ready: the store answered in %v\n", time.Since(start).Round(time.Millisecond))
	})
	return mux
}
