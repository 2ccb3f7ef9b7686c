// Package example is a type of target that exists for tests: the
// `example-store` type, a field of a named store at a small simulated
// secret store (its Fake). It shows the least a type with a Fake declares
// to get the conformance suite run for it by internal/plugins (a Fake, a
// Sample) and is how that central run is tested until a real type has a
// Fake. Importing the package registers the type: only tests import it.
package example

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// Type is the target type's name.
const Type = "example-store"

// The environment that points the writer at the store.
const (
	URLEnv   = "RESPOND_EXAMPLE_STORE_URL"
	TokenEnv = "RESPOND_EXAMPLE_STORE_TOKEN"
)

func init() { target.Register(Spec()) }

// Spec is what the example-store type declares.
func Spec() target.Spec {
	return target.Spec{
		Type:    Type,
		Title:   "example store field",
		Summary: "a field of a store at the example secret store (tests only)",
		Fields: []target.Field{
			{Name: "store", Kind: target.String, Required: true, Doc: "the store",
				Check: func(v any) error {
					if !target.ValidSegment(v.(string)) {
						return target.Invalid("name the store as the example store does, e.g. app", "invalid store %q", v)
					}
					return nil
				}},
			{Name: "field", Kind: target.String, Required: true, Names: true, Doc: "the field of the store"},
		},
		Example: "- example-store: {store: app, field: OPENAI_API_KEY}",
		Holds:   true,
		ID:      func(t target.Target) string { return Type + ":" + t.Str("store") + "#" + t.Str("field") },
		Describe: func(t target.Target, _ func(string) string) (string, string, string) {
			return "store " + t.Str("store"), t.Str("field"), ""
		},
		Env: []target.EnvVar{{Name: URLEnv, Doc: "the example store's URL"},
			{Name: TokenEnv, Secret: true, Doc: "a token of the example store"}},
		Fake: NewFake,
		Sample: &target.Sample{
			Place:  func(name string) map[string]any { return map[string]any{"store": "conformance", "field": name} },
			Ref:    func(t target.Target) string { return t.Str("store") + "#" + t.Str("field") },
			Denied: func(name string) map[string]any { return map[string]any{"store": "missing", "field": name} },
		},
		New: func(env *plugin.Env) target.Writer { return Writer{env: env} },
	}
}

// Writer writes a field of a store.
type Writer struct{ env *plugin.Env }

var (
	_ target.Writer = Writer{}
	_ target.Reader = Writer{}
)

// fields reads a store's fields; ok is false when the store does not
// exist.
func (w Writer) fields(ctx context.Context, store string) (fields map[string]string, ok bool, err error) {
	var out struct {
		Fields map[string]string `json:"fields"`
	}
	status, err := w.do(ctx, http.MethodGet, store, nil, &out)
	switch {
	case err != nil:
		return nil, false, err
	case status == http.StatusNotFound:
		return nil, false, nil
	}
	return out.Fields, true, nil
}

// do sends a request about store and decodes its answer into out.
func (w Writer) do(ctx context.Context, method, store string, body, out any) (int, error) {
	base, tok := w.env.Getenv(URLEnv), w.env.Getenv(TokenEnv)
	if base == "" || tok == "" {
		return 0, step.Errorf("the example store is not configured: export %s and %s", URLEnv, TokenEnv)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/stores/"+url.PathEscape(store), rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("example store: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return resp.StatusCode, errDenied
	case resp.StatusCode == http.StatusNotFound:
		return resp.StatusCode, nil
	case resp.StatusCode >= 300:
		return resp.StatusCode, fmt.Errorf("example store answered %s", resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("example store: %w", err)
		}
	}
	return resp.StatusCode, nil
}

var errDenied = errors.New("the example store refused the token")

// Check implements target.Writer: the store exists and the token may
// write it.
func (w Writer) Check(ctx context.Context, t target.Target) error {
	_, ok, err := w.fields(ctx, t.Str("store"))
	switch {
	case errors.Is(err, errDenied):
		return target.Preflightf(err, "%s: the token may not use store %s: use a token of the store's writers", t.ID(), t.Str("store"))
	case err != nil:
		return fmt.Errorf("%s: %w", t.ID(), err)
	case !ok:
		return target.Preflightf(nil, "%s: store %s does not exist: create it, or fix the target's store", t.ID(), t.Str("store"))
	}
	return nil
}

// Plan implements target.Writer.
func (w Writer) Plan(ctx context.Context, t target.Target) (step.Change, error) {
	fields, _, err := w.fields(ctx, t.Str("store"))
	if err != nil {
		return step.Change{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	if _, has := fields[t.Str("field")]; has {
		return step.Change{Action: step.Update, Target: t.ID(), Effect: "replace field " + t.Str("field") + " of store " + t.Str("store")}, nil
	}
	return step.Change{Action: step.Create, Target: t.ID(), Effect: "add field " + t.Str("field") + " to store " + t.Str("store")}, nil
}

// Write implements target.Writer.
func (w Writer) Write(ctx context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	status, err := w.do(ctx, http.MethodPut, t.Str("store"), map[string]string{"field": t.Str("field"), "value": v.Reveal()}, nil)
	switch {
	case err != nil:
		return target.WriteResult{}, fmt.Errorf("%s: %w", t.ID(), err)
	case status == http.StatusNotFound:
		return target.WriteResult{}, step.Errorf("%s: store %s does not exist: create it and run again", t.ID(), t.Str("store"))
	case status == http.StatusCreated:
		return target.WriteResult{Created: true, Detail: "201 Created"}, nil
	}
	return target.WriteResult{Detail: "200 OK (replaced)"}, nil
}

// Read implements target.Reader.
func (w Writer) Read(ctx context.Context, t target.Target, _ string) (secret.Value, error) {
	fields, _, err := w.fields(ctx, t.Str("store"))
	if err != nil {
		return secret.Value{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	v, ok := fields[t.Str("field")]
	if !ok {
		return secret.Value{}, step.ErrNotFound
	}
	return secret.New(v), nil
}

// Fake is the example store: stores of fields, one token that may do
// everything. A SecretStore ref is "store#field".
type Fake struct {
	mu     sync.Mutex
	token  string
	stores map[string]map[string]string
}

var _ simapi.SecretStore = (*Fake)(nil)

// NewFake builds the example store (a simapi.Factory).
func NewFake(o simapi.Options) simapi.Service {
	b := make([]byte, 16)
	if _, err := io.ReadFull(o.Rand, b); err != nil {
		panic(err)
	}
	return &Fake{token: fmt.Sprintf("example-token-%x", b), stores: map[string]map[string]string{}}
}

// Name implements simapi.Service.
func (f *Fake) Name() string { return "example-store" }

// Prefix implements simapi.Service.
func (f *Fake) Prefix() string { return "/example-store/" }

// Reset implements simapi.Service.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stores = map[string]map[string]string{}
}

// Snapshot implements simapi.Service.
func (f *Fake) Snapshot() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[string]string{}
	for s, fields := range f.stores {
		out[s] = map[string]string{}
		for k, v := range fields {
			out[s][k] = v
		}
	}
	return out
}

// Env implements simapi.Service.
func (f *Fake) Env(base, _ string) (map[string]string, error) {
	return map[string]string{URLEnv: base, TokenEnv: f.token}, nil
}

// PutSecret implements simapi.SecretStore, creating the store.
func (f *Fake) PutSecret(ref, value string) error {
	store, field, ok := strings.Cut(ref, "#")
	if !ok {
		return fmt.Errorf("example store ref %q: write store#field", ref)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stores[store] == nil {
		f.stores[store] = map[string]string{}
	}
	f.stores[store][field] = value
	return nil
}

// SecretRefs lists every store#field that holds a value (what
// conformance.RefLister asks).
func (f *Fake) SecretRefs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for s, fields := range f.stores {
		for k := range fields {
			out = append(out, s+"#"+k)
		}
	}
	return out
}

// SecretValue implements simapi.SecretStore.
func (f *Fake) SecretValue(ref string) (string, bool) {
	store, field, _ := strings.Cut(ref, "#")
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.stores[store][field]
	return v, ok
}

// ServeHTTP serves GET /stores/{store} ({"fields": {…}}) and PUT
// /stores/{store} ({"field": F, "value": V}: 201 when F is new, else
// 200); a missing store is a 404, a wrong token a 401.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, `{"error":"bad token"}`, http.StatusUnauthorized)
		return
	}
	store, ok := strings.CutPrefix(r.URL.Path, "/stores/")
	if !ok || strings.Contains(store, "/") {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fields := f.stores[store]
	if fields == nil {
		http.Error(w, `{"error":"no such store"}`, http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"fields": fields})
	case http.MethodPut:
		var in struct{ Field, Value string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Field == "" {
			http.Error(w, `{"error":"bad body"}`, http.StatusBadRequest)
			return
		}
		_, had := fields[in.Field]
		fields[in.Field] = in.Value
		if had {
			w.WriteHeader(http.StatusOK)
		} else {
			w.WriteHeader(http.StatusCreated)
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}
