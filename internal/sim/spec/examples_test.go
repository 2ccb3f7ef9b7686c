package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// specExample is one example body the description itself gives for a
// response or a request.
type specExample struct {
	method, path string // a concrete path built from the template
	status       int    // 0 for a request example
	name         string
	body         []byte
}

// collectExamples returns every example body in the description's JSON
// responses and request bodies, with inline "example", "examples" (values or
// refs to components/examples) and schema-level examples in 3.1 form.
func collectExamples(t *testing.T, file string) []specExample {
	t.Helper()
	raw, err := files.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var out []specExample
	paths := doc["paths"].(map[string]any)
	for tmpl, item := range paths {
		concrete := concretePath(tmpl)
		for m, v := range item.(map[string]any) {
			op, ok := v.(map[string]any)
			if !ok || !isHTTPMethod(m) {
				continue
			}
			method := strings.ToUpper(m)
			if rb, ok := op["requestBody"].(map[string]any); ok {
				rb, _ = deref(doc, rb, "")
				for name, body := range mediaExamples(doc, rb) {
					out = append(out, specExample{method, concrete, 0, name, body})
				}
			}
			resps, _ := op["responses"].(map[string]any)
			// OpenAI keeps its examples in x-oaiMeta.examples.response, a
			// JSON string for the operation's success response.
			if meta, ok := op["x-oaiMeta"].(map[string]any); ok {
				if exs, ok := meta["examples"].(map[string]any); ok {
					if resp, ok := exs["response"].(string); ok && json.Valid([]byte(resp)) {
						out = append(out, specExample{method, concrete, successStatus(resps), "x-oaiMeta", []byte(resp)})
					}
				}
			}
			for st, r := range resps {
				code, err := strconv.Atoi(st)
				if err != nil {
					continue
				}
				rm, _ := deref(doc, r.(map[string]any), "")
				for name, body := range mediaExamples(doc, rm) {
					out = append(out, specExample{method, concrete, code, name, body})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.method+a.path+strconv.Itoa(a.status)+a.name < b.method+b.path+strconv.Itoa(b.status)+b.name
	})
	return out
}

func mediaExamples(doc, obj map[string]any) map[string][]byte {
	out := map[string][]byte{}
	content, _ := obj["content"].(map[string]any)
	for ct, v := range content {
		if !isJSONMediaType(ct) {
			continue
		}
		mt := v.(map[string]any)
		if ex, ok := mt["example"]; ok {
			out["example"] = mustJSON(ex)
		}
		exs, _ := mt["examples"].(map[string]any)
		for name, e := range exs {
			em := e.(map[string]any)
			em, _ = deref(doc, em, "")
			if val, ok := em["value"]; ok {
				out[name] = mustJSON(val)
			}
		}
	}
	return out
}

// successStatus returns the lowest 2xx status an operation declares.
func successStatus(resps map[string]any) int {
	best := 0
	for st := range resps {
		if code, err := strconv.Atoi(st); err == nil && code/100 == 2 && (best == 0 || code < best) {
			best = code
		}
	}
	return best
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// concretePath fills every {param} of a template with a plausible value.
func concretePath(tmpl string) string {
	var b strings.Builder
	for _, seg := range splitPath(tmpl) {
		b.WriteByte('/')
		if isParam(seg) {
			b.WriteString("x-" + strings.Trim(seg, "{}"))
		} else {
			b.WriteString(seg)
		}
	}
	return b.String()
}

// knownBadExamples are examples in the upstream descriptions that do not
// match their own schemas (upstream bugs: GitHub's repository examples lack
// fields the schema requires, the empty-object examples are null, OpenAI's
// admin key example lacks expires_at). They must fail, which also proves the
// validator is strict about required fields and types.
var knownBadExamples = map[string]string{
	"GET /organization/admin_api_keys/x-key_id 200 x-oaiMeta":                                     "missing property 'expires_at'",
	"GET /repos/x-owner/x-repo 200 default-response":                                              "missing property 'language'",
	"GET /orgs/x-org 200 default-response":                                                        "missing property 'archived_at'",
	"PATCH /orgs/x-org 200 default":                                                               "missing property 'archived_at'",
	"DELETE /orgs/x-org 202 default":                                                              "got null, want object",
	"POST /credentials/revoke 202 default":                                                        "got null, want object",
	"POST /user/repos 201 default":                                                                "missing property 'has_discussions'",
	"GET /repos/x-owner/x-repo/actions/jobs/x-job_id 200 default":                                 "missing property 'created_at'",
	"GET /repos/x-owner/x-repo/actions/runs/x-run_id/jobs 200 default":                            "missing property 'created_at'",
	"POST /repos/x-owner/x-repo/actions/jobs/x-job_id/rerun 201 default":                          "got null, want object",
	"POST /repos/x-owner/x-repo/actions/runs/x-run_id/cancel 202 default":                         "got null, want object",
	"POST /repos/x-owner/x-repo/actions/runs/x-run_id/rerun 201 default":                          "got null, want object",
	"POST /repos/x-owner/x-repo/actions/runs/x-run_id/rerun-failed-jobs 201 default":              "got null, want object",
	"PATCH /repos/x-owner/x-repo 200 default":                                                     "missing property 'has_discussions'",
	"POST /orgs/x-org/repos 201 default":                                                          "missing property 'has_discussions'",
	"PUT /orgs/x-org/actions/secrets/x-secret_name 201 default":                                   "got null, want object",
	"PUT /orgs/x-org/dependabot/secrets/x-secret_name 201 default":                                "got null, want object",
	"PUT /repos/x-owner/x-repo/actions/secrets/x-secret_name 201 default":                         "got null, want object",
	"PUT /repos/x-owner/x-repo/dependabot/secrets/x-secret_name 201 default":                      "got null, want object",
	"PUT /repos/x-owner/x-repo/environments/x-environment_name/secrets/x-secret_name 201 default": "got null, want object",
}

func TestSpecExamplesValidate(t *testing.T) {
	for _, c := range []struct {
		file string
		load func() (*Spec, error)
		min  int
	}{
		{"testdata/openai-admin-subset.json", OpenAI, 40},
		{"testdata/github-rest-subset.json", GitHub, 40},
	} {
		s, err := c.load()
		if err != nil {
			t.Fatal(err)
		}
		exs := collectExamples(t, c.file)
		if len(exs) < c.min {
			t.Fatalf("%s: found %d examples, want at least %d", c.file, len(exs), c.min)
		}
		for _, ex := range exs {
			key := fmt.Sprintf("%s %s %d %s", ex.method, ex.path, ex.status, ex.name)
			var err error
			if ex.status == 0 {
				err = s.ValidateRequest(ex.method, ex.path, ex.body)
			} else {
				err = s.ValidateResponse(ex.method, ex.path, ex.status, ex.body)
			}
			want, bad := knownBadExamples[key]
			switch {
			case bad && err == nil:
				t.Errorf("%s: known-bad example validated, want error containing %q", key, want)
			case bad && !strings.Contains(err.Error(), want):
				t.Errorf("%s: error %q, want it to contain %q", key, err, want)
			case !bad && err != nil:
				t.Errorf("%s: %v\nbody: %s", key, err, bytes.TrimSpace(ex.body))
			}
		}
	}
}
