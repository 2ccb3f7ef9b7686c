package watch

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are watch's Prometheus metrics, in a registry of their own.
type Metrics struct {
	Registry *prometheus.Registry

	// Alerts counts alerts decided, by source (webhook, poll) and action.
	Alerts *prometheus.CounterVec
	// Deliveries counts webhook deliveries by result (accepted, ignored,
	// follower, ping).
	Deliveries *prometheus.CounterVec
	// Refused counts deliveries refused, by reason (unsigned,
	// bad_signature, replay, malformed).
	Refused *prometheus.CounterVec
	// TimeToContain observes seconds from an alert's creation to the
	// containment of its key.
	TimeToContain prometheus.Histogram
	// Responses counts responses by outcome (recovered, contained, not
	// recovered, not contained, refused, failed).
	Responses *prometheus.CounterVec
	// Notifications counts notifications by channel and result (sent,
	// failed).
	Notifications *prometheus.CounterVec
	// Polls counts polls by result (changed, not_modified, error).
	Polls *prometheus.CounterVec
	// Leader is 1 while this replica may act.
	Leader prometheus.Gauge
	// InFlight is the number of responses running.
	InFlight prometheus.Gauge
}

// NewMetrics registers watch's metrics (and the Go and process
// collectors) in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "respond_watch_alerts_total", Help: "Secret-scanning alerts decided, by source and action.",
		}, []string{"source", "action"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "respond_watch_deliveries_total", Help: "Webhook deliveries answered, by result.",
		}, []string{"result"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "respond_watch_deliveries_refused_total", Help: "Webhook deliveries refused, by reason.",
		}, []string{"reason"}),
		TimeToContain: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "respond_watch_time_to_contain_seconds",
			Help:    "Seconds from an alert's creation to the containment of its key.",
			Buckets: []float64{0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600},
		}),
		Responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "respond_watch_responses_total", Help: "Unattended responses ended, by outcome.",
		}, []string{"outcome"}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "respond_watch_notifications_total", Help: "Notifications sent, by channel and result.",
		}, []string{"channel", "result"}),
		Polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "respond_watch_polls_total", Help: "Polls of an organization's open alerts, by result.",
		}, []string{"result"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "respond_watch_leader", Help: "1 while this replica is the leader (may act).",
		}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "respond_watch_responses_in_flight", Help: "Unattended responses running.",
		}),
	}
	m.Registry.MustRegister(m.Alerts, m.Deliveries, m.Refused, m.TimeToContain, m.Responses, m.Notifications, m.Polls, m.Leader, m.InFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
