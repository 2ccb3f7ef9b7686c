// Package spec validates HTTP traffic against the official OpenAPI
// descriptions of the OpenAI admin API and the GitHub REST API.
//
// The descriptions are the subsets kept in testdata/ (see
// testdata/README.md and testdata/LICENSES.md for their sources and
// licences) and are embedded into the binary, so validation needs nothing
// outside the repository. The simulator's conformance tests use this
// package to prove that every response body the simulator sends has the
// shape the real service documents.
//
// The GitHub description is OpenAPI 3.0: before compiling, `nullable: true`
// is rewritten into a JSON Schema type union with "null". The OpenAI
// description is OpenAPI 3.1 and is already JSON Schema 2020-12. In both,
// objects accept additional properties unless a schema says
// `additionalProperties: false`, exactly as OpenAPI specifies.
package spec

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed testdata/openai-admin-subset.json testdata/github-rest-subset.json
var files embed.FS

// ErrUnknownOperation is wrapped by errors for a method and path that match
// no operation of the spec.
var ErrUnknownOperation = errors.New("no matching operation in the API description")

// ErrUndeclaredStatus is wrapped by errors for a successful (1xx–3xx)
// status code that the operation does not declare. Undeclared error statuses
// (4xx/5xx) are instead validated against the API's generic error schema.
var ErrUndeclaredStatus = errors.New("status code not declared for the operation")

// Spec is a compiled API description. It is safe for concurrent use.
type Spec struct {
	name     string   // "openai" or "github", used in error messages
	prefixes []string // path prefixes stripped before matching, e.g. "/v1"
	ops      []*operation
	// errorSchema validates error bodies for 4xx/5xx statuses the
	// operation does not declare (the spec is silent; the API's error
	// shape is the best statement of what the real service sends).
	errorSchema *jsonschema.Schema
}

// operation is one (method, path template) of the description.
type operation struct {
	method   string
	template string
	id       string   // operationId
	segments []string // template split on "/", without the leading empty one
	literals int      // number of literal (non-parameter) segments
	// multi is the index in segments of a path parameter marked
	// x-multi-segment (a Git ref such as heads/main, a file path), which
	// matches one or more segments; -1 when there is none.
	multi int

	responses map[string]*response // keyed by "200", "2XX", "default", …

	hasRequestBody  bool
	requestRequired bool
	request         *jsonschema.Schema // nil when there is no JSON request schema
}

// response is one declared response of an operation.
type response struct {
	schema *jsonschema.Schema // nil when no JSON content is declared
}

// String names the operation for error messages.
func (o *operation) String() string {
	if o.id != "" {
		return fmt.Sprintf("%s %s (%s)", o.method, o.template, o.id)
	}
	return o.method + " " + o.template
}

type config struct {
	name        string
	file        string
	prefixes    []string
	openapi30   bool
	errorSchema string // JSON pointer to the generic error schema
}

var (
	openaiOnce sync.Once
	openaiSpec *Spec
	openaiErr  error

	githubOnce sync.Once
	githubSpec *Spec
	githubErr  error
)

// OpenAI returns the OpenAI admin API description (OpenAPI 3.1, server base
// https://api.openai.com/v1). Paths are accepted with or without the /v1
// prefix. The result is compiled once and shared.
func OpenAI() (*Spec, error) {
	openaiOnce.Do(func() {
		openaiSpec, openaiErr = load(config{
			name:        "openai",
			file:        "testdata/openai-admin-subset.json",
			prefixes:    []string{"/v1"},
			errorSchema: "#/components/schemas/ErrorResponse",
		})
	})
	return openaiSpec, openaiErr
}

// GitHub returns the GitHub REST API description (OpenAPI 3.0). Paths are
// accepted with or without the /api/v3 prefix used by GitHub Enterprise
// style base URLs. The result is compiled once and shared.
func GitHub() (*Spec, error) {
	githubOnce.Do(func() {
		githubSpec, githubErr = load(config{
			name:        "github",
			file:        "testdata/github-rest-subset.json",
			prefixes:    []string{"/api/v3"},
			openapi30:   true,
			errorSchema: "#/components/schemas/basic-error",
		})
	})
	return githubSpec, githubErr
}

// docURL is the base URL the description is registered under in the schema
// compiler; it never leaves the process.
func docURL(name string) string { return "urn:respond:spec:" + name + ".json" }

func load(cfg config) (*Spec, error) {
	raw, err := files.ReadFile(cfg.file)
	if err != nil {
		return nil, fmt.Errorf("read embedded %s API description: %w", cfg.name, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parse embedded %s API description: %w", cfg.name, err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("embedded %s API description is not a JSON object", cfg.name)
	}
	if cfg.openapi30 {
		convertOpenAPI30(root)
	}

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "uri-template", Validate: validateURITemplate})
	base := docURL(cfg.name)
	if err := c.AddResource(base, root); err != nil {
		return nil, fmt.Errorf("load %s API description into the schema compiler: %w", cfg.name, err)
	}
	compile := func(ptr string) (*jsonschema.Schema, error) {
		sch, err := c.Compile(base + ptr)
		if err != nil {
			return nil, fmt.Errorf("compile %s schema %s: %w", cfg.name, ptr, err)
		}
		return sch, nil
	}

	s := &Spec{name: cfg.name, prefixes: cfg.prefixes}
	if s.errorSchema, err = compile(cfg.errorSchema); err != nil {
		return nil, err
	}

	paths, _ := root["paths"].(map[string]any)
	for tmpl, item := range paths {
		methods, ok := item.(map[string]any)
		if !ok {
			continue
		}
		for m, v := range methods {
			rawOp, ok := v.(map[string]any)
			if !ok || !isHTTPMethod(m) {
				continue
			}
			op, err := buildOperation(root, compile, strings.ToUpper(m), tmpl, rawOp)
			if err != nil {
				return nil, err
			}
			s.ops = append(s.ops, op)
		}
	}
	// Deterministic order; matching picks the most specific template
	// regardless of order, this only keeps error messages stable.
	slices.SortFunc(s.ops, func(a, b *operation) int {
		return strings.Compare(a.template+" "+a.method, b.template+" "+b.method)
	})
	return s, nil
}

func isHTTPMethod(m string) bool {
	switch m {
	case "get", "put", "post", "delete", "patch", "head", "options", "trace":
		return true
	}
	return false
}

func buildOperation(root map[string]any, compile func(string) (*jsonschema.Schema, error), method, tmpl string, raw map[string]any) (*operation, error) {
	op := &operation{method: method, template: tmpl, responses: map[string]*response{}}
	op.id, _ = raw["operationId"].(string)
	op.segments = splitPath(tmpl)
	for _, seg := range op.segments {
		if !isParam(seg) {
			op.literals++
		}
	}
	op.multi = -1
	if name := multiSegmentParam(root, raw); name != "" {
		op.multi = slices.Index(op.segments, "{"+name+"}")
	}
	opPtr := "#/paths/" + escapePointer(tmpl) + "/" + strings.ToLower(method)

	if rb, ok := raw["requestBody"].(map[string]any); ok {
		ptr := opPtr + "/requestBody"
		rb, ptr = deref(root, rb, ptr)
		op.hasRequestBody = true
		op.requestRequired, _ = rb["required"].(bool)
		if schemaPtr, ok := jsonContentSchema(rb, ptr); ok {
			sch, err := compile(schemaPtr)
			if err != nil {
				return nil, fmt.Errorf("%s request body: %w", op, err)
			}
			op.request = sch
		}
	}

	responses, _ := raw["responses"].(map[string]any)
	for status, v := range responses {
		r, ok := v.(map[string]any)
		if !ok {
			continue
		}
		ptr := opPtr + "/responses/" + escapePointer(status)
		r, ptr = deref(root, r, ptr)
		resp := &response{}
		if schemaPtr, ok := jsonContentSchema(r, ptr); ok {
			sch, err := compile(schemaPtr)
			if err != nil {
				return nil, fmt.Errorf("%s response %s: %w", op, status, err)
			}
			resp.schema = sch
		}
		op.responses[strings.ToUpper(status)] = resp
	}
	return op, nil
}

// multiSegmentParam returns the name of the operation's path parameter
// marked x-multi-segment (GitHub's extension for parameters that span
// several path segments), following references to components/parameters;
// "" if there is none.
func multiSegmentParam(root, raw map[string]any) string {
	params, _ := raw["parameters"].([]any)
	for i, p := range params {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		m, _ = deref(root, m, fmt.Sprintf("#/parameters/%d", i))
		if in, _ := m["in"].(string); in != "path" {
			continue
		}
		if multi, _ := m["x-multi-segment"].(bool); multi {
			name, _ := m["name"].(string)
			return name
		}
	}
	return ""
}

// deref follows a local "$ref" (to components/responses or
// components/requestBodies) and returns the target and its JSON pointer.
func deref(root, obj map[string]any, ptr string) (map[string]any, string) {
	for range 10 { // refs to refs are legal; bound the chain
		ref, ok := obj["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return obj, ptr
		}
		target, ok := lookupPointer(root, ref[1:]).(map[string]any)
		if !ok {
			return obj, ptr
		}
		obj, ptr = target, ref
	}
	return obj, ptr
}

// lookupPointer resolves a JSON pointer (RFC 6901) inside doc.
func lookupPointer(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := cur.(type) {
		case map[string]any:
			cur = v[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			cur = v[i]
		default:
			return nil
		}
	}
	return cur
}

// jsonContentSchema returns the JSON pointer of the schema of the JSON media
// type in a response or request body object, if it declares one.
func jsonContentSchema(obj map[string]any, ptr string) (string, bool) {
	content, _ := obj["content"].(map[string]any)
	keys := make([]string, 0, len(content))
	for k := range content {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, ct := range keys {
		if !isJSONMediaType(ct) {
			continue
		}
		mt, _ := content[ct].(map[string]any)
		if _, ok := mt["schema"]; !ok {
			continue
		}
		return ptr + "/content/" + escapePointer(ct) + "/schema", true
	}
	return "", false
}

func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = ct
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// convertOpenAPI30 rewrites OpenAPI 3.0 schema dialect into JSON Schema
// 2020-12 in place: `nullable: true` becomes a union with "null" (type
// arrays, enum gains null, or anyOf with {"type":"null"} for schemas without
// a type). Other OpenAPI-only keywords (example, discriminator, xml,
// externalDocs, x-*) are unknown to JSON Schema and therefore ignored.
func convertOpenAPI30(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, child := range x {
			convertOpenAPI30(child)
		}
		if n, ok := x["nullable"].(bool); ok {
			delete(x, "nullable")
			if n {
				makeNullable(x)
			}
		}
	case []any:
		for _, child := range x {
			convertOpenAPI30(child)
		}
	}
}

func makeNullable(x map[string]any) {
	if enum, ok := x["enum"].([]any); ok && !slices.Contains(enum, nil) {
		x["enum"] = append(enum, nil)
	}
	switch t := x["type"].(type) {
	case string:
		x["type"] = []any{t, "null"}
		return
	case []any:
		if !slices.Contains(t, any("null")) {
			x["type"] = append(t, "null")
		}
		return
	}
	// No type (allOf/oneOf/anyOf/$ref): move the whole schema into one
	// branch of an anyOf whose other branch is null.
	inner := map[string]any{}
	for k, val := range x {
		if k == "description" || k == "title" || strings.HasPrefix(k, "x-") {
			continue
		}
		inner[k] = val
		delete(x, k)
	}
	x["anyOf"] = []any{inner, map[string]any{"type": "null"}}
}

// splitPath splits a URL path into its segments, dropping the query, the
// leading slash and a trailing slash.
func splitPath(p string) []string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func isParam(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")
}

// find returns the most specific operation matching method and path, or nil.
// A literal segment beats a parameter at the first position where two
// candidate templates differ, so /secrets/public-key wins over
// /secrets/{secret_name}.
func (s *Spec) find(method, path string) *operation {
	segs := s.pathSegments(path)
	method = strings.ToUpper(method)
	var best *operation
	for _, op := range s.ops {
		if op.method != method || !op.matches(segs) {
			continue
		}
		if best == nil || moreSpecific(op, best) {
			best = op
		}
	}
	return best
}

// pathSegments strips the query, a known base prefix and percent-encoding
// and splits the path.
func (s *Spec) pathSegments(path string) []string {
	if u, err := url.Parse(path); err == nil && u.Path != "" {
		path = u.EscapedPath()
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	for _, p := range s.prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			path = strings.TrimPrefix(path, p)
			break
		}
	}
	segs := splitPath(path)
	for i, seg := range segs {
		if u, err := url.PathUnescape(seg); err == nil {
			segs[i] = u
		}
	}
	return segs
}

func (o *operation) matches(segs []string) bool {
	if o.multi >= 0 && len(segs) > len(o.segments) {
		// The multi-segment parameter takes the extra segments: match the
		// template's segments before it against the start of the path and
		// those after it against the end.
		extra := len(segs) - len(o.segments)
		head, tail := o.segments[:o.multi+1], o.segments[o.multi+1:]
		return matchSegments(head, segs[:len(head)]) &&
			!slices.Contains(segs[o.multi:o.multi+extra+1], "") &&
			matchSegments(tail, segs[o.multi+extra+1:])
	}
	return len(segs) == len(o.segments) && matchSegments(o.segments, segs)
}

// matchSegments matches template segments to path segments of the same
// count: literals exactly, parameters any non-empty segment.
func matchSegments(tmpl, segs []string) bool {
	for i, t := range tmpl {
		if isParam(t) {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if t != segs[i] {
			return false
		}
	}
	return true
}

func moreSpecific(a, b *operation) bool {
	for i := range min(len(a.segments), len(b.segments)) {
		pa, pb := isParam(a.segments[i]), isParam(b.segments[i])
		if pa != pb {
			return !pa
		}
	}
	return false
}

// HasOperation reports whether method and path (with or without the API's
// base prefix, query ignored) match an operation of the description.
func (s *Spec) HasOperation(method, path string) bool {
	return s.find(method, path) != nil
}

// Operation returns the path template and operationId matched by method and
// path, and whether there was a match; useful in test failure messages.
func (s *Spec) Operation(method, path string) (template, operationID string, ok bool) {
	op := s.find(method, path)
	if op == nil {
		return "", "", false
	}
	return op.template, op.id, true
}

func (s *Spec) unknown(method, path string) error {
	return fmt.Errorf("%s %s %s: %w", s.name, strings.ToUpper(method), path, ErrUnknownOperation)
}

// ValidateResponse validates a response body against the description.
//
// It finds the operation whose path template matches path, then the
// response declared for status (exact code, then "2XX"-style ranges, then
// "default"), and validates body as JSON against that response's
// application/json schema. An empty body is valid only when no JSON content
// is declared for the status. A non-empty body for a success status declared
// without content (such as a 204) is invalid. Error bodies (4xx/5xx) for a
// status the operation does not declare, or declares without content, are
// validated against the API's generic error schema (OpenAI ErrorResponse,
// GitHub basic-error). Errors name the operation, the status and the JSON
// pointer of every failing value; schema mismatches are *SchemaError.
func (s *Spec) ValidateResponse(method, path string, status int, body []byte) error {
	op := s.find(method, path)
	if op == nil {
		return s.unknown(method, path)
	}
	where := fmt.Sprintf("%s %s response %d", s.name, op, status)
	resp := op.response(status)
	var sch *jsonschema.Schema
	switch {
	case resp != nil && resp.schema == nil && status >= 400 && len(bytes.TrimSpace(body)) > 0:
		// The description gives the error status without content (GitHub
		// does this for many 404s), but the real service still sends its
		// error JSON: check that shape.
		sch = s.errorSchema
		where += " (no content declared; checked against the generic error schema)"
	case resp != nil:
		sch = resp.schema
	case status >= 400:
		sch = s.errorSchema
		where += " (undeclared; checked against the generic error schema)"
	default:
		return fmt.Errorf("%s: %w (declared: %s)", where, ErrUndeclaredStatus, strings.Join(op.statuses(), ", "))
	}
	return validateBody(where, sch, body, false)
}

// ValidateRequest validates a request body against the operation's
// requestBody schema. An empty body is valid unless the description marks
// the request body required; a non-empty body is invalid for an operation
// that declares no request body.
func (s *Spec) ValidateRequest(method, path string, body []byte) error {
	op := s.find(method, path)
	if op == nil {
		return s.unknown(method, path)
	}
	where := fmt.Sprintf("%s %s request body", s.name, op)
	if !op.hasRequestBody {
		if len(bytes.TrimSpace(body)) > 0 {
			return fmt.Errorf("%s: the operation declares no request body, got %d bytes", where, len(body))
		}
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if op.requestRequired {
			return fmt.Errorf("%s: the request body is required but empty", where)
		}
		return nil
	}
	if op.request == nil {
		return nil // a non-JSON request body: nothing to check here
	}
	return validateBody(where, op.request, body, true)
}

func (o *operation) response(status int) *response {
	code := strconv.Itoa(status)
	if r, ok := o.responses[code]; ok {
		return r
	}
	if r, ok := o.responses[code[:1]+"XX"]; ok {
		return r
	}
	return o.responses["DEFAULT"]
}

func (o *operation) statuses() []string {
	out := make([]string, 0, len(o.responses))
	for k := range o.responses {
		out = append(out, strings.ToLower(k))
	}
	slices.Sort(out)
	return out
}

func validateBody(where string, sch *jsonschema.Schema, body []byte, request bool) error {
	empty := len(bytes.TrimSpace(body)) == 0
	if sch == nil {
		if !empty {
			return fmt.Errorf("%s: the description declares no JSON body for this status, got %d bytes", where, len(body))
		}
		return nil
	}
	if empty {
		return fmt.Errorf("%s: empty body, the description declares a JSON body", where)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: body is not valid JSON: %v", where, err)
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return &SchemaError{Where: where, Problems: leafProblems(ve)}
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// SchemaError reports a body that does not match its schema.
type SchemaError struct {
	// Where names the API, the operation (method, path template,
	// operationId) and the status or "request body".
	Where string
	// Problems lists each failing value as "at '/json/pointer': reason".
	Problems []string
}

func (e *SchemaError) Error() string {
	return e.Where + ": body does not match the schema: " + strings.Join(e.Problems, "; ")
}

// leafProblems flattens a validation error tree into its leaves, which name
// the JSON pointer and the reason; duplicates are removed, order is kept.
func leafProblems(ve *jsonschema.ValidationError) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			msg := e.Error()
			if !seen[msg] {
				seen[msg] = true
				out = append(out, msg)
			}
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}
