// Package metrics holds Lifeline's Prometheus collectors. Counters and the
// triage histogram move when the engine calls the small methods here;
// gauges (outbox depth, dead letters, open cases, platform state) are read
// at scrape time through a StateReader, so they are never stale and cost
// nothing between scrapes.
//
// Everything is registered on a registry the caller owns, never on the
// global default one, so tests and several engines in one process do not
// collide. A nil *Metrics is valid and does nothing: code that counts need
// not check whether metrics are on.
package metrics

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Kind is what the engine made of an incoming message. The set is closed
// so a label can never grow without bound; anything else counts as
// KindOther.
type Kind string

// Message kinds counted in lifeline_messages_total.
const (
	KindRequest    Kind = "request"    // a help request (new case or merged)
	KindChatter    Kind = "chatter"    // a group message that is not a request
	KindCommand    Kind = "command"    // a slash command or a button press
	KindPrivate    Kind = "private"    // a private message in an asker conversation
	KindEdit       Kind = "edit"       // an edit of an earlier message
	KindMembership Kind = "membership" // the bot joined, left, or a chat moved
	KindOther      Kind = "other"
)

// Kinds lists every Kind, in the order they are pre-created.
var Kinds = []Kind{KindRequest, KindChatter, KindCommand, KindPrivate, KindEdit, KindMembership, KindOther}

// urgencies are the label values of lifeline_requests_total and
// lifeline_open_cases; anything else is counted as "other".
var urgencies = []string{"critical", "high", "normal"}

// State is what the scrape-time gauges show. A StateReader fills it from
// the store and the platforms.
type State struct {
	// Outbox holds one entry per platform with queued messages (platforms
	// with none may be left out: they are shown as 0 when listed in
	// Options.Platforms).
	Outbox []OutboxState
	// DeadLetters is how many messages were given up on and are kept.
	DeadLetters int
	// OpenCases counts open cases by urgency name.
	OpenCases map[string]int
	// Platforms holds the state of each running platform.
	Platforms []PlatformState
}

// OutboxState is one platform's delivery queue.
type OutboxState struct {
	Platform string
	Pending  int
	// Oldest is how long the oldest pending message has waited.
	Oldest time.Duration
}

// PlatformState is one platform connection.
type PlatformState struct {
	Platform string
	Up       bool
	// LastUpdate is when the platform last answered (zero: not known, and
	// lifeline_last_update_age_seconds is left out for it).
	LastUpdate time.Time
}

// StateReader reads the current state for a scrape. It should be quick
// (one read transaction); ctx carries the scrape's deadline.
type StateReader interface {
	ReadState(ctx context.Context) (State, error)
}

// Options configure New.
type Options struct {
	// State feeds the scrape-time gauges; nil leaves them out.
	State StateReader
	// Platforms are pre-created in the per-platform series, so a scrape
	// shows zeros rather than nothing before the first message.
	Platforms []string
	// Now is the clock for ages; nil means time.Now.
	Now func() time.Time
	// ScrapeTimeout bounds one ReadState; 0 means 5s.
	ScrapeTimeout time.Duration
	// Version, Commit and GoVersion label lifeline_build_info.
	Version, Commit, GoVersion string
}

// Metrics are Lifeline's collectors.
type Metrics struct {
	messages  *prometheus.CounterVec
	requests  *prometheus.CounterVec
	alerts    prometheus.Counter
	triage    prometheus.Histogram
	notifyErr prometheus.Counter
	throttled *prometheus.CounterVec
}

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer, opts Options) (*Metrics, error) {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lifeline_messages_total",
			Help: "Incoming messages by platform and by what the bot made of them.",
		}, []string{"platform", "kind"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lifeline_requests_total",
			Help: "Help requests recognised, by urgency (new cases and merged reposts).",
		}, []string{"urgency"}),
		alerts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lifeline_alerts_sent_total",
			Help: "Alerts delivered to coordination chats.",
		}),
		triage: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lifeline_triage_seconds",
			Help: "Time to triage one message.",
			// Triage takes tens of microseconds; the top buckets catch a
			// pathological input.
			Buckets: []float64{10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 10e-3, 50e-3, 0.25},
		}),
		notifyErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lifeline_notify_failures_total",
			Help: "Webhook notices that could not be delivered after every retry.",
		}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lifeline_throttled_total",
			Help: "Messages left unanswered because their sender or group was over its limit (pleas are never throttled).",
		}, []string{"scope"}),
	}
	for _, s := range []string{"sender", "chat"} {
		m.throttled.WithLabelValues(s)
	}
	for _, p := range opts.Platforms {
		for _, k := range Kinds {
			m.messages.WithLabelValues(p, string(k))
		}
	}
	for _, u := range urgencies {
		m.requests.WithLabelValues(u)
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "lifeline_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": opts.Version, "commit": opts.Commit, "goversion": opts.GoVersion},
	})
	build.Set(1)
	cs := []prometheus.Collector{m.messages, m.requests, m.alerts, m.triage, m.notifyErr, m.throttled, build}
	if opts.State != nil {
		cs = append(cs, newStateCollector(opts))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Message counts one incoming message on platform.
func (m *Metrics) Message(platform, kind string) {
	if m == nil {
		return
	}
	k := Kind(kind)
	if !slices.Contains(Kinds, k) {
		k = KindOther
	}
	m.messages.WithLabelValues(platform, string(k)).Inc()
}

// Request counts one recognised help request of the given urgency
// ("critical", "high", "normal").
func (m *Metrics) Request(urgency string) {
	if m == nil {
		return
	}
	if !slices.Contains(urgencies, urgency) {
		urgency = "other"
	}
	m.requests.WithLabelValues(urgency).Inc()
}

// AlertSent counts one alert delivered to a coordination chat.
func (m *Metrics) AlertSent() {
	if m == nil {
		return
	}
	m.alerts.Inc()
}

// Throttled counts one message left unanswered by the limit of scope
// ("sender" or "chat").
func (m *Metrics) Throttled(scope string) {
	if m == nil {
		return
	}
	m.throttled.WithLabelValues(scope).Inc()
}

// Triage records how long triaging one message took.
func (m *Metrics) Triage(d time.Duration) {
	if m == nil {
		return
	}
	m.triage.Observe(d.Seconds())
}

// NotifyFailed counts one webhook notice given up on.
func (m *Metrics) NotifyFailed() {
	if m == nil {
		return
	}
	m.notifyErr.Inc()
}

// stateCollector turns one ReadState per scrape into the gauges.
type stateCollector struct {
	opts                                        Options
	pending, oldest, dead, open, up, lastUpdate *prometheus.Desc
}

func newStateCollector(opts Options) *stateCollector {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ScrapeTimeout <= 0 {
		opts.ScrapeTimeout = 5 * time.Second
	}
	return &stateCollector{
		opts: opts,
		pending: prometheus.NewDesc("lifeline_outbox_pending",
			"Messages waiting in the outbox, by destination platform.", []string{"platform"}, nil),
		oldest: prometheus.NewDesc("lifeline_outbox_oldest_seconds",
			"How long the oldest pending outbox message has waited, by platform.", []string{"platform"}, nil),
		// Named as a total (it is one to people reading dashboards), but
		// it is the number kept now: a dead letter sent again leaves it.
		dead: prometheus.NewDesc("lifeline_outbox_dead_total",
			"Messages given up on and kept as dead letters.", nil, nil),
		open: prometheus.NewDesc("lifeline_open_cases",
			"Open cases by urgency.", []string{"urgency"}, nil),
		up: prometheus.NewDesc("lifeline_platform_up",
			"1 while the platform is connected and receiving, else 0.", []string{"platform"}, nil),
		lastUpdate: prometheus.NewDesc("lifeline_last_update_age_seconds",
			"Seconds since the platform last answered (an update or an empty poll).", []string{"platform"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pending, c.oldest, c.dead, c.open, c.up, c.lastUpdate} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.ScrapeTimeout)
	defer cancel()
	st, err := c.opts.State.ReadState(ctx)
	if err != nil {
		// The scrape still serves the counters; the error is logged by the
		// HTTP handler and the missing gauges show in absent() alerts.
		ch <- prometheus.NewInvalidMetric(c.pending, err)
		return
	}
	now := c.opts.Now()
	outbox := map[string]OutboxState{}
	for _, p := range c.opts.Platforms {
		outbox[p] = OutboxState{Platform: p}
	}
	for _, o := range st.Outbox {
		outbox[o.Platform] = o
	}
	for p, o := range outbox {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(o.Pending), p)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, o.Oldest.Seconds(), p)
	}
	ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(st.DeadLetters))
	open := map[string]int{}
	for _, u := range urgencies {
		open[u] = 0
	}
	for u, n := range st.OpenCases {
		open[u] += n
	}
	for u, n := range open {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(n), u)
	}
	for _, p := range st.Platforms {
		up := 0.0
		if p.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, p.Platform)
		if !p.LastUpdate.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lastUpdate, prometheus.GaugeValue, now.Sub(p.LastUpdate).Seconds(), p.Platform)
		}
	}
}
