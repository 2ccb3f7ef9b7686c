package openaisim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The inference endpoints a liveness check may use instead of /v1/models:
// POST /v1/chat/completions, /v1/responses and /v1/embeddings. A dead key
// gets 401 invalid_api_key, as on every route (authenticate); a live one a
// small deterministic answer in OpenAI's shapes (ChatCompletion, Response,
// the embeddings list), with usage counted, and the call shows in the Usage
// and Costs APIs (completions; embeddings are counted in their own usage
// endpoint, which the simulator does not serve) and in the key's
// last_used_at. Streaming (stream: true) is not simulated: it is refused
// with 400. Request parameters other than the ones read here are accepted
// and ignored (OpenAI refuses unknown ones; the list of known ones is long
// and changes).
//
// Every answer carries OpenAI's rate-limit headers
// (x-ratelimit-{limit,remaining,reset}-{requests,tokens}) for a fixed
// budget the simulator does not enforce; a rate-limit fault (WriteRateLimit)
// is where the budget runs out.

// The answer every chat completion and response gives.
const inferenceAnswer = "This is the respond simulator. The key works."

// Rate-limit budget the headers announce: requests and tokens per minute.
const (
	rateLimitRequests = 500
	rateLimitTokens   = 30000
)

// embeddingDims is the length of text-embedding-3-small's vectors, the
// default of the embeddings endpoint.
const embeddingDims = 1536

// tokens estimates the tokens of a text: about one per word (the
// simulator has no tokenizer; counts only need to be plausible and
// deterministic).
func tokens(text string) int { return max(len(strings.Fields(text)), 1) }

// model reads and checks the request's model (required; it must be one
// /v1/models lists).
func model(fields map[string]json.RawMessage) (string, *apiError) {
	var m string
	ok, e := field(fields, "model", &m, "a string")
	if e != nil {
		return "", e
	}
	if !ok || m == "" {
		return "", invalidRequest("model", "you must provide a model parameter")
	}
	known := false
	for _, x := range models {
		known = known || x.id == m
	}
	if !known {
		e := &apiError{status: http.StatusNotFound, typ: "invalid_request_error", code: strp("model_not_found"),
			message: fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", m)}
		e.param = strp("model")
		return "", e
	}
	return m, nil
}

// inferenceRequest parses an inference request: a JSON object without
// stream: true, naming a model /v1/models lists.
func inferenceRequest(r *request) (map[string]json.RawMessage, string, *apiError) {
	fields, e := inferenceBody(r)
	if e != nil {
		return nil, "", e
	}
	m, e := model(fields)
	return fields, m, e
}

// inferenceBody parses an inference request's body: a JSON object without
// stream: true.
func inferenceBody(r *request) (map[string]json.RawMessage, *apiError) {
	fields := map[string]json.RawMessage{}
	if len(r.body) == 0 || json.Unmarshal(r.body, &fields) != nil {
		return nil, invalidRequest("", "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)")
	}
	var stream bool
	if _, e := field(fields, "stream", &stream, "a boolean"); e != nil {
		return nil, e
	}
	if stream {
		return nil, invalidRequest("stream", "The respond simulator does not stream responses: send the request without stream: true.")
	}
	return fields, nil
}

// textOf collects the text of a message content or an input: a string, or
// an array of strings, of {text} parts, or of messages with content.
func textOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return ""
	}
	var parts []string
	for _, it := range items {
		var part struct {
			Text    string          `json:"text"`
			Content json.RawMessage `json:"content"`
		}
		switch {
		case json.Unmarshal(it, &s) == nil:
			parts = append(parts, s)
		case json.Unmarshal(it, &part) == nil && part.Text != "":
			parts = append(parts, part.Text)
		case len(part.Content) > 0:
			parts = append(parts, textOf(part.Content))
		}
	}
	return strings.Join(parts, " ")
}

// served records one call of the caller's key (usage, for the completions
// endpoints) and sets the rate-limit headers.
func (s *Server) served(r *request, model string, input, output int, countUsage bool) {
	k := r.caller
	if countUsage {
		rec := usageRecord{projectID: k.projectID, keyID: k.id, model: model, at: r.now.Truncate(time.Second),
			requests: 1, input: int64(input), output: int64(output)}
		if k.kind == KindUser {
			rec.userID = k.ownerID
		}
		s.usage = append(s.usage, rec)
	}
	setRateHeaders(r.header, rateLimitRequests-1, rateLimitTokens-input-output, time.Minute/rateLimitRequests, time.Second)
}

// setRateHeaders sets OpenAI's x-ratelimit-* headers. Resets are durations
// as OpenAI writes them (Go's form: 1s, 6m0s, 120ms).
func setRateHeaders(h http.Header, remainingRequests, remainingTokens int, resetRequests, resetTokens time.Duration) {
	h.Set("X-Ratelimit-Limit-Requests", strconv.Itoa(rateLimitRequests))
	h.Set("X-Ratelimit-Limit-Tokens", strconv.Itoa(rateLimitTokens))
	h.Set("X-Ratelimit-Remaining-Requests", strconv.Itoa(max(remainingRequests, 0)))
	h.Set("X-Ratelimit-Remaining-Tokens", strconv.Itoa(max(remainingTokens, 0)))
	h.Set("X-Ratelimit-Reset-Requests", resetRequests.String())
	h.Set("X-Ratelimit-Reset-Tokens", resetTokens.String())
}

// WriteRateLimit writes OpenAI's 429 for a spent request budget: retry-after
// (whole seconds, at least 1), the x-ratelimit-* headers (no request left
// until retryAfter has passed) and the rate_limit_exceeded error.
func WriteRateLimit(w http.ResponseWriter, retryAfter time.Duration) {
	secs := max(int((retryAfter+time.Second-1)/time.Second), 1)
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(secs))
	setRateHeaders(h, 0, rateLimitTokens, retryAfter, 0)
	e := &apiError{status: http.StatusTooManyRequests, typ: "requests", code: strp("rate_limit_exceeded"),
		message: fmt.Sprintf("Rate limit reached for requests per min (RPM): Limit %d, Used %d, Requested 1. Please try again in %s. Visit https://platform.openai.com/account/rate-limits to learn more.",
			rateLimitRequests, rateLimitRequests, retryAfter)}
	out, _ := json.Marshal(e.body())
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(append(out, '\n'))
}

// objectID is an ID for an object the request creates, from the request
// counter (deterministic for a seeded world).
func (s *Server) objectID(prefix string) string { return fmt.Sprintf("%s%024x", prefix, s.requests) }

// chatCompletion serves POST /v1/chat/completions.
func (s *Server) chatCompletion(r *request) (int, any, *apiError) {
	fields, m, e := inferenceRequest(r)
	if e != nil {
		return 0, nil, e
	}
	var messages []json.RawMessage
	if ok, e := field(fields, "messages", &messages, "an array"); e != nil {
		return 0, nil, e
	} else if !ok || len(messages) == 0 {
		return 0, nil, invalidRequest("messages", "'messages' must contain at least one message.")
	}
	var prompt []string
	for _, msg := range messages {
		var one struct {
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(msg, &one) == nil {
			prompt = append(prompt, textOf(one.Content))
		}
	}
	in, out := tokens(strings.Join(prompt, " ")), tokens(inferenceAnswer)
	s.served(r, m, in, out, true)
	return http.StatusOK, map[string]any{
		"id":      s.objectID("chatcmpl-sim"),
		"object":  "chat.completion",
		"created": r.now.Unix(),
		"model":   m,
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": inferenceAnswer, "refusal": nil, "annotations": []any{}},
			"logprobs":      nil,
			"finish_reason": "stop",
		}},
		"usage": map[string]any{
			"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out,
			"prompt_tokens_details":     map[string]any{"cached_tokens": 0, "audio_tokens": 0},
			"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
		},
		"service_tier":       "default",
		"system_fingerprint": "fp_respond_sim",
	}, nil
}

// createResponse serves POST /v1/responses.
func (s *Server) createResponse(r *request) (int, any, *apiError) {
	fields, m, e := inferenceRequest(r)
	if e != nil {
		return 0, nil, e
	}
	prompt := textOf(fields["input"])
	if instr, ok := fields["instructions"]; ok {
		prompt += " " + textOf(instr)
	}
	in, out := tokens(prompt), tokens(inferenceAnswer)
	s.served(r, m, in, out, true)
	return http.StatusOK, map[string]any{
		"id":                   s.objectID("resp_sim"),
		"object":               "response",
		"created_at":           r.now.Unix(),
		"status":               "completed",
		"error":                nil,
		"incomplete_details":   nil,
		"instructions":         nil,
		"max_output_tokens":    nil,
		"model":                m,
		"output":               []any{map[string]any{"type": "message", "id": s.objectID("msg_sim"), "status": "completed", "role": "assistant", "content": []any{map[string]any{"type": "output_text", "text": inferenceAnswer, "annotations": []any{}}}}},
		"parallel_tool_calls":  true,
		"previous_response_id": nil,
		"reasoning":            map[string]any{"effort": nil, "summary": nil},
		"store":                true,
		"temperature":          1.0,
		"text":                 map[string]any{"format": map[string]any{"type": "text"}},
		"tool_choice":          "auto",
		"tools":                []any{},
		"top_p":                1.0,
		"truncation":           "disabled",
		"usage": map[string]any{
			"input_tokens": in, "input_tokens_details": map[string]any{"cached_tokens": 0},
			"output_tokens": out, "output_tokens_details": map[string]any{"reasoning_tokens": 0},
			"total_tokens": in + out,
		},
		"user":     nil,
		"metadata": map[string]any{},
	}, nil
}

// createEmbedding serves POST /v1/embeddings: one vector per input, derived
// from the input's SHA-256 (the same text always gets the same vector), of
// the requested dimensions (default 1536), as floats or, with
// encoding_format base64, as little-endian float32 bytes.
func (s *Server) createEmbedding(r *request) (int, any, *apiError) {
	fields, m, e := inferenceRequest(r)
	if e != nil {
		return 0, nil, e
	}
	var inputs []string
	var one string
	switch raw := fields["input"]; {
	case len(raw) == 0:
		return 0, nil, invalidRequest("input", "'input' is a required property")
	case json.Unmarshal(raw, &one) == nil:
		inputs = []string{one}
	case json.Unmarshal(raw, &inputs) == nil:
	default:
		// Token arrays: embed their JSON text.
		inputs = []string{string(raw)}
	}
	if len(inputs) == 0 {
		return 0, nil, invalidRequest("input", "'input' must not be empty.")
	}
	dims := embeddingDims
	if _, e := field(fields, "dimensions", &dims, "an integer"); e != nil {
		return 0, nil, e
	}
	if dims < 1 || dims > 3072 {
		return 0, nil, invalidRequest("dimensions", "Invalid 'dimensions': expected a value between 1 and 3072, got %d.", dims)
	}
	var format string
	if _, e := field(fields, "encoding_format", &format, "a string"); e != nil {
		return 0, nil, e
	}
	if format != "" && format != "float" && format != "base64" {
		return 0, nil, invalidRequest("encoding_format", "Invalid 'encoding_format': expected 'float' or 'base64', got '%s'.", format)
	}
	data := make([]any, 0, len(inputs))
	total := 0
	for i, text := range inputs {
		total += tokens(text)
		vec := embed(text, dims)
		var v any = vec
		if format == "base64" {
			b := make([]byte, 4*len(vec))
			for j, x := range vec {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(x))
			}
			v = base64.StdEncoding.EncodeToString(b)
		}
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": v})
	}
	s.served(r, m, total, 0, false)
	return http.StatusOK, map[string]any{
		"object": "list",
		"data":   data,
		"model":  m,
		"usage":  map[string]any{"prompt_tokens": total, "total_tokens": total},
	}, nil
}

// embed is a deterministic unit vector of dims for text.
func embed(text string, dims int) []float32 {
	out := make([]float32, dims)
	var norm float64
	seed := sha256.Sum256([]byte(text))
	for i := range out {
		h := sha256.Sum256(append(seed[:], byte(i), byte(i>>8)))
		x := float64(int32(binary.LittleEndian.Uint32(h[:4]))) / math.MaxInt32
		out[i] = float32(x)
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for i := range out {
		out[i] = float32(float64(out[i]) / norm)
	}
	return out
}
