package steps

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/step"
)

func TestCatalogLists(t *testing.T) {
	cat := Catalog()
	var names []string
	for _, k := range cat.Kinds() {
		names = append(names, k.Spec().Kind)
	}
	want := []string{"approve", "deploy", "exec", "github.dispatch_workflow", "github.resolve_alert", "inventory.targets", "inventory.update", "key.await_quiet", "key.discard", "key.identify", "key.replace", "key.retire", "key.revoke", "key.usage", "key.verify", "lock", "note",
		"openai.await_quiet", "openai.create_replacement", "openai.identify_key", "openai.key_usage", "openai.revoke_key", "openai.verify_key", "preflight"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("Kinds = %v, want %v", names, want)
	}
	for _, n := range names {
		k, ok := cat.Lookup(n)
		if !ok || k.Spec().Kind != n {
			t.Errorf("Lookup(%q) = %v, %v", n, k, ok)
		}
	}
	if _, ok := cat.Lookup("shell"); ok {
		t.Error("Lookup(shell) found a kind")
	}
	if _, err := NewCatalog(all(&Providers{})...); err != nil {
		t.Errorf("the registered kinds are not a valid catalog: %v", err)
	}
	// Kinds returns a copy.
	ks := cat.Kinds()
	ks[0] = nil
	if cat.Kinds()[0] == nil {
		t.Error("Kinds exposes the catalog's slice")
	}
}

func TestNewCatalogRejectsDuplicates(t *testing.T) {
	if _, err := NewCatalog(Exec{}, Note{}, Exec{}); err == nil || !strings.Contains(err.Error(), `"exec"`) {
		t.Errorf("NewCatalog with a duplicate = %v, want an error naming it", err)
	}
}

var knownTypes = map[step.Type]bool{
	step.String: true, step.Int: true, step.Bool: true, step.Duration: true,
	step.List: true, step.Map: true, step.Any: true, step.Secret: true,
}

// defaultFits reports whether a default value has the Go type the engine
// uses for t.
func defaultFits(t step.Type, v any) bool {
	var ok bool
	switch t {
	case step.String:
		_, ok = v.(string)
	case step.Int:
		_, ok = v.(int)
	case step.Bool:
		_, ok = v.(bool)
	case step.Duration:
		_, ok = v.(time.Duration)
	case step.List:
		_, ok = v.([]string)
	case step.Map:
		_, ok = v.(map[string]string)
	case step.Any:
		ok = true
	}
	return ok
}

func TestCatalogSpecsConsistent(t *testing.T) {
	for _, k := range Catalog().Kinds() {
		s := k.Spec()
		t.Run(s.Kind, func(t *testing.T) {
			if s.Summary == "" || s.Description == "" {
				t.Error("Summary or Description is empty")
			}
			seen := map[string]bool{}
			for _, p := range s.Params {
				where := fmt.Sprintf("param %q", p.Name)
				if p.Name == "" || seen[p.Name] {
					t.Errorf("%s: empty or duplicate name", where)
				}
				seen[p.Name] = true
				if !knownTypes[p.Type] {
					t.Errorf("%s: unknown type %q", where, p.Type)
				}
				if p.Type == step.Secret && !p.AcceptsSecret {
					t.Errorf("%s: a secret parameter must also declare AcceptsSecret", where)
				}
				if p.Description == "" {
					t.Errorf("%s: no description", where)
				}
				if p.Required && p.Default != nil {
					t.Errorf("%s: required with a default", where)
				}
				if p.Default != nil && !defaultFits(p.Type, p.Default) {
					t.Errorf("%s: default %#v is not a %s", where, p.Default, p.Type)
				}
				if len(p.Enum) > 0 && p.Type != step.String {
					t.Errorf("%s: enum on a %s", where, p.Type)
				}
			}
			seenOut := map[string]bool{}
			for _, o := range s.Outputs {
				where := fmt.Sprintf("output %q", o.Name)
				if o.Name == "" || seenOut[o.Name] {
					t.Errorf("%s: empty or duplicate name", where)
				}
				seenOut[o.Name] = true
				if !knownTypes[o.Type] {
					t.Errorf("%s: unknown type %q", where, o.Type)
				}
				if o.Secret != (o.Type == step.Secret) {
					t.Errorf("%s: Secret=%v but type %s", where, o.Secret, o.Type)
				}
				if o.Description == "" {
					t.Errorf("%s: no description", where)
				}
			}
			if _, ok := k.(step.IdempotencyDecider); ok && s.Idempotent {
				t.Error("a kind that decides its idempotency declares itself always idempotent")
			}
			if !s.Mutates && !s.Idempotent {
				t.Error("a kind that changes nothing should be idempotent")
			}
		})
	}
}

func TestSpecsMatchBrief(t *testing.T) {
	cat := Catalog()
	exec, _ := cat.Lookup("exec")
	s := exec.Spec()
	if !s.Mutates || s.Idempotent {
		t.Errorf("exec: Mutates=%v Idempotent=%v, want true/false", s.Mutates, s.Idempotent)
	}
	var accepts []string
	for _, p := range s.Params {
		if p.AcceptsSecret {
			accepts = append(accepts, p.Name)
		}
	}
	if !reflect.DeepEqual(accepts, []string{"stdin"}) {
		t.Errorf("exec params accepting secrets = %v, want only stdin", accepts)
	}
	if p, _ := s.Param("command"); !p.Required || p.Type != step.List {
		t.Errorf("exec command = %+v, want a required list", p)
	}
	for _, name := range []string{"approve", "note"} {
		k, _ := cat.Lookup(name)
		s := k.Spec()
		if s.Mutates || !s.Idempotent {
			t.Errorf("%s: Mutates=%v Idempotent=%v, want false/true", name, s.Mutates, s.Idempotent)
		}
		if p, ok := s.Param("message"); !ok || !p.Required || p.Type != step.String {
			t.Errorf("%s message = %+v", name, p)
		}
	}
}
