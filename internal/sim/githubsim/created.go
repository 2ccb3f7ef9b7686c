package githubsim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// timeRange is a half-open interval [from, to) of instants; a zero bound is
// open.
type timeRange struct{ from, to time.Time }

func (tr timeRange) contains(t time.Time) bool {
	return (tr.from.IsZero() || !t.Before(tr.from)) && (tr.to.IsZero() || t.Before(tr.to))
}

// parseTimeRange parses the created filter of the workflow-run listings,
// which uses GitHub's search syntax for dates: a date or date-time alone
// (that day, or that second), with a comparison (>, >=, <, <=), or a range
// A..B (inclusive, either side may be *). Dates are YYYY-MM-DD (UTC);
// date-times are RFC 3339, with or without a zone (UTC when absent).
func parseTimeRange(s string) (timeRange, error) {
	s = strings.TrimSpace(s)
	if from, to, ok := strings.Cut(s, ".."); ok {
		var tr timeRange
		if from != "*" {
			lo, _, err := parseInstant(from)
			if err != nil {
				return timeRange{}, err
			}
			tr.from = lo
		}
		if to != "*" {
			_, hi, err := parseInstant(to)
			if err != nil {
				return timeRange{}, err
			}
			tr.to = hi
		}
		if from == "*" && to == "*" {
			return timeRange{}, errors.New("a range needs at least one bound")
		}
		if !tr.from.IsZero() && !tr.to.IsZero() && !tr.from.Before(tr.to) {
			return timeRange{}, errors.New("the range ends before it starts")
		}
		return tr, nil
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		rest, ok := strings.CutPrefix(s, op)
		if !ok {
			continue
		}
		lo, hi, err := parseInstant(rest)
		if err != nil {
			return timeRange{}, err
		}
		switch op {
		case ">=":
			return timeRange{from: lo}, nil
		case ">":
			return timeRange{from: hi}, nil
		case "<=":
			return timeRange{to: hi}, nil
		default:
			return timeRange{to: lo}, nil
		}
	}
	lo, hi, err := parseInstant(s)
	if err != nil {
		return timeRange{}, err
	}
	return timeRange{from: lo, to: hi}, nil
}

// parseInstant parses a date (the whole day) or a date-time (that second)
// and returns the interval [lo, hi) it stands for.
func parseInstant(s string) (lo, hi time.Time, err error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, t.AddDate(0, 0, 1), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC().Truncate(time.Second)
			return t, t.Add(time.Second), nil
		}
	}
	return time.Time{}, time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM:SSZ)", s)
}
