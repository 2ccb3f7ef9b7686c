package report

import (
	"time"
)

// Times for people (PRODUCT §7, STYLE "time values for people"): the
// Markdown and HTML reports show a time to the second in UTC, or an offset
// from the incident's start such as T+15ms; the JSON report keeps every
// time exactly as journaled (nanoseconds), for tools.

// clockLayout is a time for people: date and time to the second. Tables
// say (UTC) in their header; sentences use clock, which says UTC.
const clockLayout = "2006-01-02 15:04:05"

// clock is a time in a sentence: "2026-12-07 18:08:21 UTC".
func clock(t time.Time) string {
	return t.UTC().Format(clockLayout) + " UTC"
}

// fmtTime is the template function time: a journal time or a time a
// provider reported (RFC 3339) to the second, UTC, without the zone (the
// column or the footer says UTC); "—" when there is none. A string that is
// not RFC 3339 is shown as it is.
func fmtTime(v any) string {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format(clockLayout)
	case *time.Time:
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.UTC().Format(clockLayout)
	case string:
		if t == "" {
			return "—"
		}
		if p, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return p.UTC().Format(clockLayout)
		}
		return t
	}
	return "—"
}

// sinceStart is the template function since: how long after the
// incident's start t was, as an offset ("T+15ms", "T+2m05s"); "—" when
// there is no time.
func sinceStart(start time.Time) func(t *time.Time) string {
	return func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return fmtOffset(SpanOf(start, *t))
	}
}
