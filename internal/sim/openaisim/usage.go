package openaisim

import (
	"cmp"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// arrayParam reads an array query parameter in either encoding: repeated
// (name=a&name=b, the OpenAPI default) or bracketed (name[]=a, which
// openai-go sends). A name given with brackets in the spec (event_types[])
// is passed without them.
func arrayParam(q url.Values, name string) []string {
	return append(slices.Clone(q[name]), q[name+"[]"]...)
}

func contains(set []string, v string) bool { return len(set) == 0 || slices.Contains(set, v) }

// bucketSpec is one allowed bucket_width with its limit default and max.
type bucketSpec struct {
	width    int64 // seconds
	defLimit int
	maxLimit int
}

// Bucket widths and limits from the spec (API-NOTES §5).
var (
	usageWidths = map[string]bucketSpec{
		"1m": {60, 60, 1440},
		"1h": {3600, 24, 168},
		"1d": {86400, 7, 31},
	}
	costWidths = map[string]bucketSpec{"1d": {86400, 7, 180}}
)

// window is the bucket range one usage or costs request covers.
type window struct {
	start, end int64 // requested range [start, end), Unix seconds
	first      int64 // start of the first bucket overall (start aligned down)
	width      int64
	from, to   int   // bucket indexes of this page: [from, to)
	total      int   // buckets in the whole range
	hasMore    bool  // more buckets after this page
	next       int64 // start of the next page's first bucket, if hasMore
}

func parseUnix(r *request, name string) (int64, bool, *apiError) {
	v := r.query.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false, invalidRequest(name, "Invalid value for '%s': expected a Unix time in seconds, got %q.", name, v)
	}
	return n, true, nil
}

// parseWindow reads start_time (required), end_time (default now),
// bucket_width, limit and the page cursor. Buckets are aligned to their
// width in UTC; records before start_time are left out even when they fall
// in the first bucket.
func parseWindow(r *request, widths map[string]bucketSpec) (window, *apiError) {
	var w window
	start, ok, e := parseUnix(r, "start_time")
	if e != nil {
		return w, e
	}
	if !ok {
		return w, invalidRequest("start_time", "Missing required parameter: 'start_time'.")
	}
	end, ok, e := parseUnix(r, "end_time")
	if e != nil {
		return w, e
	}
	if !ok {
		end = r.now.Unix()
	}
	if end <= start {
		return w, invalidRequest("end_time", "'end_time' (%d) must be after 'start_time' (%d).", end, start)
	}
	bw := r.query.Get("bucket_width")
	if bw == "" {
		bw = "1d"
	}
	spec, ok := widths[bw]
	if !ok {
		allowed := make([]string, 0, len(widths))
		for k := range widths {
			allowed = append(allowed, k)
		}
		slices.Sort(allowed)
		return w, invalidRequest("bucket_width", "Invalid value for 'bucket_width': expected one of %s; got %q.", strings.Join(allowed, ", "), bw)
	}
	limit, e := parseLimit(r, spec.defLimit, spec.maxLimit)
	if e != nil {
		return w, e
	}
	w = window{start: start, end: end, width: spec.width, first: start - start%spec.width}
	w.total = int((end - w.first + spec.width - 1) / spec.width)
	if p := r.query.Get("page"); p != "" {
		at, ok := decodePage(p)
		if !ok || at < w.first || at >= end || (at-w.first)%spec.width != 0 {
			return w, invalidRequest("page", "Invalid 'page' cursor %q: use the next_page value of the previous response with the same query.", p)
		}
		w.from = int((at - w.first) / spec.width)
	}
	w.to = min(w.from+limit, w.total)
	if w.to < w.total {
		w.hasMore, w.next = true, w.first+int64(w.to)*spec.width
	}
	return w, nil
}

// The page cursor is opaque to clients; it encodes the start of the next
// page's first bucket.
func encodePage(at int64) string {
	return "page_" + base64.RawURLEncoding.EncodeToString([]byte("bucket:"+strconv.FormatInt(at, 10)))
}

func decodePage(p string) (int64, bool) {
	raw, ok := strings.CutPrefix(p, "page_")
	if !ok {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return 0, false
	}
	v, ok := strings.CutPrefix(string(b), "bucket:")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// bucketOf returns the index of the bucket holding t on this page, or -1.
func (w window) bucketOf(t time.Time) int {
	u := t.Unix()
	if u < w.start || u >= w.end {
		return -1
	}
	i := int((u - w.first) / w.width)
	if i < w.from || i >= w.to {
		return -1
	}
	return i
}

type bucketJSON struct {
	Object    string `json:"object"`
	StartTime int64  `json:"start_time"`
	EndTime   int64  `json:"end_time"`
	Results   any    `json:"results"`
}

type pageJSON struct {
	Object   string       `json:"object"`
	Data     []bucketJSON `json:"data"`
	HasMore  bool         `json:"has_more"`
	NextPage *string      `json:"next_page"`
}

// page builds the response envelope; results(i) gives bucket i's results.
func (w window) page(results func(i int) any) pageJSON {
	out := pageJSON{Object: "page", Data: []bucketJSON{}, HasMore: w.hasMore}
	for i := w.from; i < w.to; i++ {
		st := w.first + int64(i)*w.width
		out.Data = append(out.Data, bucketJSON{Object: "bucket", StartTime: st, EndTime: min(st+w.width, w.end), Results: results(i)})
	}
	if w.hasMore {
		out.NextPage = strp(encodePage(w.next))
	}
	return out
}

// parseGroupBy reads group_by, accepting only the given fields.
func parseGroupBy(r *request, allowed ...string) (map[string]bool, *apiError) {
	g := map[string]bool{}
	for _, f := range arrayParam(r.query, "group_by") {
		if !slices.Contains(allowed, f) {
			return nil, invalidRequest("group_by", "Invalid value for 'group_by': %q is not one of %s.", f, strings.Join(allowed, ", "))
		}
		g[f] = true
	}
	return g, nil
}

type completionsResultJSON struct {
	Object                 string  `json:"object"`
	InputTokens            int64   `json:"input_tokens"`
	InputCachedTokens      int64   `json:"input_cached_tokens"`
	InputCacheWriteTokens  int64   `json:"input_cache_write_tokens"`
	InputUncachedTokens    int64   `json:"input_uncached_tokens"`
	OutputTokens           int64   `json:"output_tokens"`
	InputTextTokens        int64   `json:"input_text_tokens"`
	OutputTextTokens       int64   `json:"output_text_tokens"`
	InputCachedTextTokens  int64   `json:"input_cached_text_tokens"`
	InputAudioTokens       int64   `json:"input_audio_tokens"`
	InputCachedAudioTokens int64   `json:"input_cached_audio_tokens"`
	OutputAudioTokens      int64   `json:"output_audio_tokens"`
	InputImageTokens       int64   `json:"input_image_tokens"`
	InputCachedImageTokens int64   `json:"input_cached_image_tokens"`
	OutputImageTokens      int64   `json:"output_image_tokens"`
	NumModelRequests       int64   `json:"num_model_requests"`
	ProjectID              *string `json:"project_id"`
	UserID                 *string `json:"user_id"`
	APIKeyID               *string `json:"api_key_id"`
	Model                  *string `json:"model"`
	Batch                  *bool   `json:"batch"`
	ServiceTier            *string `json:"service_tier"`
}

// groupKey identifies one result row; fields not grouped by are "".
type groupKey struct{ project, user, key, model, lineItem string }

func (g groupKey) compare(o groupKey) int {
	return cmp.Or(cmp.Compare(g.project, o.project), cmp.Compare(g.user, o.user), cmp.Compare(g.key, o.key),
		cmp.Compare(g.model, o.model), cmp.Compare(g.lineItem, o.lineItem))
}

// optional returns &v when grouped, else nil (null in JSON).
func optional(grouped bool, v string) *string {
	if !grouped {
		return nil
	}
	return &v
}

// usageCompletions serves GET /v1/organization/usage/completions.
func (s *Server) usageCompletions(r *request) (int, any, *apiError) {
	w, e := parseWindow(r, usageWidths)
	if e != nil {
		return 0, nil, e
	}
	group, e := parseGroupBy(r, "project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
	if e != nil {
		return 0, nil, e
	}
	projects, users := arrayParam(r.query, "project_ids"), arrayParam(r.query, "user_ids")
	keys, modelIDs := arrayParam(r.query, "api_key_ids"), arrayParam(r.query, "models")
	batchOnly := false
	if v := r.query.Get("batch"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return 0, nil, invalidRequest("batch", "Invalid value for 'batch': expected a boolean, got %q.", v)
		}
		batchOnly = b // all simulated usage is non-batch
	}

	sums := map[int]map[groupKey]*completionsResultJSON{}
	for _, u := range s.usage {
		i := w.bucketOf(u.at)
		if i < 0 || batchOnly || !contains(projects, u.projectID) || !contains(users, u.userID) ||
			!contains(keys, u.keyID) || !contains(modelIDs, u.model) {
			continue
		}
		gk := groupKey{}
		if group["project_id"] {
			gk.project = u.projectID
		}
		if group["user_id"] {
			gk.user = u.userID
		}
		if group["api_key_id"] {
			gk.key = u.keyID
		}
		if group["model"] {
			gk.model = u.model
		}
		if sums[i] == nil {
			sums[i] = map[groupKey]*completionsResultJSON{}
		}
		res := sums[i][gk]
		if res == nil {
			res = &completionsResultJSON{Object: "organization.usage.completions.result",
				ProjectID: optional(group["project_id"], gk.project), APIKeyID: optional(group["api_key_id"], gk.key),
				Model: optional(group["model"], gk.model), ServiceTier: optional(group["service_tier"], "default")}
			if group["user_id"] && gk.user != "" { // service-account usage has no user
				res.UserID = &gk.user
			}
			if group["batch"] {
				res.Batch = new(bool)
			}
			sums[i][gk] = res
		}
		res.InputTokens += u.input
		res.InputUncachedTokens += u.input
		res.InputTextTokens += u.input
		res.OutputTokens += u.output
		res.OutputTextTokens += u.output
		res.NumModelRequests += u.requests
	}
	return http.StatusOK, w.page(func(i int) any {
		return sortedResults(sums[i])
	}), nil
}

func sortedResults[T any](m map[groupKey]*T) []*T {
	ks := make([]groupKey, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, groupKey.compare)
	out := make([]*T, 0, len(ks))
	for _, k := range ks {
		out = append(out, m[k])
	}
	return out
}

// prices are USD per million input and output tokens, for costs.
var prices = map[string][2]float64{
	"gpt-4.1":                {2.00, 8.00},
	"gpt-4.1-mini":           {0.40, 1.60},
	"gpt-4o":                 {2.50, 10.00},
	"gpt-4o-mini":            {0.15, 0.60},
	"o3-mini":                {1.10, 4.40},
	"text-embedding-3-small": {0.02, 0},
}

// defaultPrice applies to models not in prices.
var defaultPrice = [2]float64{1.00, 4.00}

type amountJSON struct {
	Value    float64 `json:"value"`
	Currency string  `json:"currency"`
}

type costsResultJSON struct {
	Object       string     `json:"object"`
	Amount       amountJSON `json:"amount"`
	LineItem     *string    `json:"line_item"`
	ProjectID    *string    `json:"project_id"`
	APIKeyID     *string    `json:"api_key_id"`
	Quantity     *float64   `json:"quantity"`
	QuantityUnit *string    `json:"quantity_unit"`
}

// costs serves GET /v1/organization/costs. Costs derive from the usage
// records and the price table; each record has two line items,
// "<model>, input" and "<model>, output". quantity (in tokens) is given
// only when grouping by line_item. The line_items filter openai-go offers
// is honoured too.
func (s *Server) costs(r *request) (int, any, *apiError) {
	w, e := parseWindow(r, costWidths)
	if e != nil {
		return 0, nil, e
	}
	group, e := parseGroupBy(r, "project_id", "line_item", "api_key_id")
	if e != nil {
		return 0, nil, e
	}
	projects, keys := arrayParam(r.query, "project_ids"), arrayParam(r.query, "api_key_ids")
	lineItems := arrayParam(r.query, "line_items") // sent by openai-go, not in the spec
	sums := map[int]map[groupKey]*costsResultJSON{}
	for _, u := range s.usage {
		i := w.bucketOf(u.at)
		if i < 0 || !contains(projects, u.projectID) || !contains(keys, u.keyID) {
			continue
		}
		price, ok := prices[u.model]
		if !ok {
			price = defaultPrice
		}
		for j, item := range []struct {
			name   string
			tokens int64
		}{{u.model + ", input", u.input}, {u.model + ", output", u.output}} {
			if !contains(lineItems, item.name) {
				continue
			}
			gk := groupKey{}
			if group["project_id"] {
				gk.project = u.projectID
			}
			if group["api_key_id"] {
				gk.key = u.keyID
			}
			if group["line_item"] {
				gk.lineItem = item.name
			}
			if sums[i] == nil {
				sums[i] = map[groupKey]*costsResultJSON{}
			}
			res := sums[i][gk]
			if res == nil {
				res = &costsResultJSON{Object: "organization.costs.result", Amount: amountJSON{Currency: "usd"},
					LineItem: optional(group["line_item"], gk.lineItem), ProjectID: optional(group["project_id"], gk.project),
					APIKeyID: optional(group["api_key_id"], gk.key)}
				if group["line_item"] {
					res.Quantity, res.QuantityUnit = new(float64), strp("tokens")
				}
				sums[i][gk] = res
			}
			res.Amount.Value += float64(item.tokens) * price[j] / 1e6
			if res.Quantity != nil {
				*res.Quantity += float64(item.tokens)
			}
		}
	}
	return http.StatusOK, w.page(func(i int) any {
		rs := sortedResults(sums[i])
		for _, r := range rs {
			r.Amount.Value = math.Round(r.Amount.Value*1e6) / 1e6
		}
		return rs
	}), nil
}

// CostUSD is what the Costs API charges for usage of model: input and
// output tokens at the simulator's price table.
func CostUSD(model string, inputTokens, outputTokens int64) float64 {
	price, ok := prices[model]
	if !ok {
		price = defaultPrice
	}
	return float64(inputTokens)*price[0]/1e6 + float64(outputTokens)*price[1]/1e6
}
