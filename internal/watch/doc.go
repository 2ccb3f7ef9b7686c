// Package watch is respond watch: automatic containment of leaked keys.
//
// Alerts come in two ways: GitHub's secret_scanning_alert webhooks
// (webhook.go: signature checked in constant time, deliveries
// de-duplicated by ID, answered at once) and polling of organizations'
// open alerts with conditional requests and a cursor kept in the state
// directory (poller.go). Both hand an alert reference to the dispatcher
// (dispatcher.go), which reads the alert through the REST API (payloads
// carry no secret), decides with the team's policy (policy.go) what to do,
// makes sure one key gets one response (dedup.go, and the key lock of the
// playbook beneath it), runs the response through a Responder (the
// ordinary leaked-key playbook, unattended: the cli package provides it),
// and tells people what they must do (notifier.go). What was decided is
// kept in the state directory (store.go), so that a restart neither
// repeats nor forgets an alert, and an interrupted response is resumed.
//
// Several replicas are safe with leader election on a Kubernetes Lease
// (leader.go): only the leader acts; a follower answers deliveries and
// leaves them to the leader's next poll. The service (service.go) serves
// the webhook, /healthz, /readyz and Prometheus metrics (metrics.go) and
// logs JSON through log/slog.
//
// Nothing here writes to a terminal; the command is internal/cli/watch.go.
package watch
