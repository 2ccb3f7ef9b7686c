package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// Rate-limit kinds a fault can produce (Fault.RateLimit).
const (
	// RateLimitSecondary is GitHub's secondary rate limit: 403 with the
	// documented message, a documentation_url ending in
	// #secondary-rate-limits and retry-after.
	RateLimitSecondary = "secondary"
	// RateLimitPrimary is GitHub's primary rate limit: 403 with
	// x-ratelimit-remaining 0 and x-ratelimit-reset.
	RateLimitPrimary = "primary"
	// RateLimit429 is a 429 with retry-after (GitHub's alternative form;
	// on OpenAI paths every rate-limit fault is OpenAI's 429).
	RateLimit429 = "429"
)

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("2s", "150ms").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"2s\" or \"150ms\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: use a form such as \"2s\" or \"150ms\"", s)
	}
	*d = Duration(v)
	return nil
}

// Fault makes matching API requests fail, slow down or hit a rate limit.
// It is what POST /_sim/faults takes and GET /_sim/faults lists.
type Fault struct {
	// ID is assigned when the fault is added.
	ID int `json:"id"`
	// Method matches the request method; empty or "*" matches any.
	Method string `json:"method,omitempty"`
	// Path is a glob over the request path (query ignored): "*" matches
	// one segment (or part of one, as in "OPENAI_*"), "**" any number of
	// segments. A GitHub path matches with or without the /api/v3 prefix.
	Path string `json:"path"`
	// Status is the response status to send (e.g. 500, 502, 404).
	Status int `json:"status,omitempty"`
	// Count is how many matching requests the fault affects; 0 means until
	// the faults are cleared.
	Count int `json:"count"`
	// Delay is waited before responding (before the real response when the
	// fault has no Status or RateLimit).
	Delay Duration `json:"delay,omitempty"`
	// RateLimit is "secondary", "primary" or "429" (see the RateLimit
	// constants).
	RateLimit string `json:"rate_limit,omitempty"`
	// RetryAfter is the retry-after (secondary, 429) or time to reset
	// (primary) of a rate-limit fault. Default 1s.
	RetryAfter Duration `json:"retry_after,omitempty"`
	// Body replaces the response body: a JSON value is sent as is, a JSON
	// string is sent as its text.
	Body json.RawMessage `json:"body,omitempty"`
	// Drop serves the request (the server acts), then closes the
	// connection without sending the answer: the client cannot tell
	// whether it happened. With Delay, the answer is held that long
	// first (time for a test to kill the client mid-request).
	Drop bool `json:"drop,omitempty"`
	// Fired counts the requests the fault has affected.
	Fired int `json:"fired"`
	// Acted counts the requests a drop fault let the server act on
	// (before their answers were lost).
	Acted int `json:"acted,omitempty"`
}

// validate checks a fault as submitted and normalizes it.
func (f *Fault) validate() error {
	var problems []string
	f.Method = strings.ToUpper(strings.TrimSpace(f.Method))
	if f.Method == "*" {
		f.Method = ""
	}
	if !strings.HasPrefix(f.Path, "/") {
		problems = append(problems, `"path" must be a glob starting with "/", such as "/repos/*/*/actions/secrets/*"`)
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		problems = append(problems, fmt.Sprintf(`"status" %d is not an HTTP status code (100-599)`, f.Status))
	}
	switch f.RateLimit {
	case "", RateLimitPrimary, RateLimitSecondary, RateLimit429:
	default:
		problems = append(problems, fmt.Sprintf(`"rate_limit" %q is unknown: use "secondary", "primary" or "429"`, f.RateLimit))
	}
	if f.RateLimit != "" && f.Status != 0 {
		problems = append(problems, `give either "status" or "rate_limit", not both`)
	}
	if f.Count < 0 {
		problems = append(problems, `"count" must be 0 (until cleared) or more`)
	}
	if f.Delay < 0 || f.RetryAfter < 0 {
		problems = append(problems, `durations must not be negative`)
	}
	if f.Drop && (f.Status != 0 || f.RateLimit != "") {
		problems = append(problems, `"drop" serves the request and loses its answer: give no "status" or "rate_limit" with it`)
	}
	if f.Status == 0 && f.RateLimit == "" && f.Delay == 0 && !f.Drop {
		problems = append(problems, `the fault does nothing: give "status", "rate_limit", "delay" or "drop"`)
	}
	if len(f.Body) > 0 && !json.Valid(f.Body) {
		problems = append(problems, `"body" must be valid JSON`)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	f.Fired = 0
	return nil
}

// responds reports whether the fault writes its own response (rather than
// only delaying the real one).
func (f *Fault) responds() bool { return f.Status != 0 || f.RateLimit != "" }

// faultSet holds the active faults in the order they were added.
type faultSet struct {
	mu     sync.Mutex
	nextID int
	faults []*Fault
}

func newFaultSet() *faultSet { return &faultSet{nextID: 1} }

func (fs *faultSet) add(f Fault) Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.ID = fs.nextID
	fs.nextID++
	fs.faults = append(fs.faults, &f)
	return f
}

func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.faults))
	for _, f := range fs.faults {
		out = append(out, *f)
	}
	return out
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	fs.faults = nil
	fs.mu.Unlock()
}

func (fs *faultSet) remove(id int) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i := slices.IndexFunc(fs.faults, func(f *Fault) bool { return f.ID == id })
	if i < 0 {
		return false
	}
	fs.faults = slices.Delete(fs.faults, i, i+1)
	return true
}

// take returns a copy of the first fault that matches the request and still
// has uses left, counting the use; ok is false when none matches.
func (fs *faultSet) take(method, urlPath string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.faults {
		if f.Count > 0 && f.Fired >= f.Count {
			continue
		}
		if f.Method != "" && f.Method != method {
			continue
		}
		if !pathMatches(f.Path, urlPath) {
			continue
		}
		f.Fired++
		return *f, true
	}
	return Fault{}, false
}

// acted counts a request a drop fault let the server act on.
func (fs *faultSet) acted(id int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.faults {
		if f.ID == id {
			f.Acted++
		}
	}
}

const enterprisePrefix = "/api/v3"

// pathMatches reports whether the glob pattern matches the request path;
// the /api/v3 prefix is optional on both.
func pathMatches(pattern, p string) bool {
	return globMatch(splitSegments(stripEnterprise(pattern)), splitSegments(stripEnterprise(p)))
}

func stripEnterprise(p string) string {
	if p == enterprisePrefix || strings.HasPrefix(p, enterprisePrefix+"/") {
		return strings.TrimPrefix(p, enterprisePrefix)
	}
	return p
}

func splitSegments(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// globMatch matches path segments against pattern segments, where "**"
// matches any number of segments and other segments use path.Match.
func globMatch(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(segs); i++ {
				if globMatch(rest, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], segs[0]); err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// bufferedResponse captures a response written by a helper so that a
// fault's custom body can replace the helper's.
type bufferedResponse struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}
