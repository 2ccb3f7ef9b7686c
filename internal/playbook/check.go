package playbook

import (
	"fmt"
	"slices"
	"strings"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/yamlsrc"
)

// refInfo is what validation knows about a reference.
type refInfo struct {
	ok     bool      // the reference resolves
	secret bool      // the value is a secret
	typ    step.Type // "" when unknown
}

const exprHint = "expressions may refer to inputs.NAME, steps.ID.outputs.NAME, item (in foreach steps) and incident.id / incident.dir"

// checkUses checks every template once all inputs and steps are known:
// references, secret flow and the types that can be known before running.
func (p *parseState) checkUses() {
	for _, u := range p.uses {
		for _, part := range u.t.exprParts() {
			p.checkPart(u, part)
		}
	}
}

func (p *parseState) checkPart(u *usage, part *tmplPart) {
	whole := u.t.whole()
	for _, r := range part.e.refs(nil) {
		info := p.checkRef(u, part, r)
		if !info.ok {
			continue
		}
		name := strings.Join(r.path, ".")
		pos, end := p.refSpan(part, r)
		if info.secret {
			p.checkSecret(u, part, r, name, pos, end)
			continue
		}
		isList := info.typ == step.List || info.typ == step.Map
		switch {
		case isList && !whole:
			p.Errorf(pos, end, fmt.Sprintf("pass ${{ %s }} as the whole value of a list parameter, or use foreach to handle one item at a time", name), "%s is a %s and cannot be rendered into text", name, typeWord(info.typ))
		case isList && u.nested:
			p.Errorf(pos, end, "a list item is one string; pass the whole list as the parameter's value instead", "%s is a %s and cannot be one item of a list or mapping", name, typeWord(info.typ))
		case u.field == "foreach" && info.typ != "" && info.typ != step.List && info.typ != step.Any:
			p.Errorf(pos, end, "foreach needs a list, such as an input of type list", "foreach needs a list, but %s is %s", name, typeArticle(info.typ))
		case u.field == "with" && u.param != nil && whole && part.e == r && !u.nested:
			p.checkRefType(*u.param, info.typ, name, pos, end)
		}
	}
	if u.field == "foreach" && part.e.kind != exprRef {
		p.Errorf(part.posOf(part.e.off), 0, "write a reference to a list, such as ${{ inputs.files }}", "foreach needs a list, not a comparison or condition")
	}
}

// checkRefType reports a whole-value reference whose type cannot fit the
// parameter's.
func (p *parseState) checkRefType(pr step.Param, t step.Type, name string, pos diag.Pos, end int) {
	if t == "" || t == step.Any || pr.Type == step.Any || t == pr.Type {
		return
	}
	listy := func(t step.Type) bool { return t == step.List || t == step.Map }
	if listy(t) != listy(pr.Type) || (listy(t) && t != pr.Type) {
		p.Errorf(pos, end, fmt.Sprintf("parameter %q takes %s", pr.Name, typeArticle(pr.Type)), "%s is %s, but parameter %q takes %s", name, typeArticle(t), pr.Name, typeArticle(pr.Type))
	}
}

func typeWord(t step.Type) string {
	if t == step.Map {
		return "mapping"
	}
	return "list"
}

// refSpan returns a reference's file position and end column (0 when the
// scalar style does not allow an exact column).
func (p *parseState) refSpan(part *tmplPart, r *expr) (diag.Pos, int) {
	pos := part.posOf(r.off)
	if !part.exact {
		return pos, 0
	}
	end := part.posOf(r.end)
	if end.Line != pos.Line {
		return pos, 0
	}
	return pos, end.Col
}

func (p *parseState) checkRef(u *usage, part *tmplPart, r *expr) refInfo {
	pos, end := p.refSpan(part, r)
	name := strings.Join(r.path, ".")
	switch r.path[0] {
	case "inputs":
		if len(r.path) != 2 {
			p.Errorf(pos, end, "write inputs.NAME", "invalid reference %q", name)
			return refInfo{}
		}
		i, ok := p.inputs[r.path[1]]
		if !ok {
			hint := "this playbook declares no inputs; declare it under `inputs:`"
			if len(p.pb.Inputs) > 0 {
				hint = yamlsrc.Suggest(r.path[1], p.inputNames(), "Inputs")
			}
			p.Errorf(pos, end, hint, "unknown input %q", r.path[1])
			return refInfo{}
		}
		in := p.pb.Inputs[i]
		return refInfo{ok: true, secret: in.Type == step.Secret, typ: in.Type}
	case "steps":
		if len(r.path) != 4 || r.path[2] != "outputs" {
			p.Errorf(pos, end, "write steps.ID.outputs.NAME", "invalid reference %q", name)
			return refInfo{}
		}
		id, out := r.path[1], r.path[3]
		j, ok := p.stepIdx[id]
		if !ok {
			p.Errorf(pos, end, yamlsrc.Suggest(id, p.stepIDs(u.step), "Earlier steps"), "unknown step %q", id)
			return refInfo{}
		}
		if j == u.step {
			p.Errorf(pos, end, "a step can only use the outputs of steps before it", "step %q refers to its own outputs", id)
			return refInfo{}
		}
		if j > u.step {
			p.Errorf(pos, end, "a step can only use the outputs of steps before it; move this step after it, or the other step before", "step %q runs later (line %d)", id, p.pb.Steps[j].Pos.Line)
			return refInfo{}
		}
		if p.pb.Steps[j].Foreach != nil {
			p.Errorf(pos, end, "a foreach step runs once per item, so it has no single outputs; referring to them is not supported", "outputs of foreach step %q cannot be referenced", id)
			return refInfo{}
		}
		spec := p.specs[j]
		if spec == nil {
			return refInfo{} // the unknown kind is already reported
		}
		if spec.DynamicOutputs {
			return refInfo{ok: true}
		}
		o, ok := spec.Output(out)
		if !ok {
			hint := fmt.Sprintf("%q steps have no outputs", spec.Kind)
			if len(spec.Outputs) > 0 {
				var names []string
				for _, o := range spec.Outputs {
					names = append(names, o.Name)
				}
				hint = yamlsrc.Suggest(out, names, fmt.Sprintf("Outputs of %q steps", spec.Kind))
			}
			p.Errorf(pos, end, hint, "step %q (%s) has no output %q", id, spec.Kind, out)
			return refInfo{}
		}
		return refInfo{ok: true, secret: o.Secret || o.Type == step.Secret, typ: o.Type}
	case "item":
		if u.field == "foreach" {
			p.Errorf(pos, end, "foreach gives the list; item is each element of it, available in with, when and confirm", "item is not defined in foreach itself")
			return refInfo{}
		}
		if !u.foreach {
			p.Errorf(pos, end, "add `foreach:` to the step, or refer to an input or output instead", "item is only defined in a foreach step")
			return refInfo{}
		}
		if len(r.path) > 2 {
			p.Errorf(pos, end, "write item or item.FIELD", "invalid reference %q", name)
			return refInfo{}
		}
		return refInfo{ok: true}
	case "incident":
		if len(r.path) != 2 || !slices.Contains(incidentFields, r.path[1]) {
			field := ""
			if len(r.path) > 1 {
				field = r.path[1]
			}
			p.Errorf(pos, end, yamlsrc.Suggest(field, incidentFields, "Incident fields (incident.NAME)"), "unknown reference %q", name)
			return refInfo{}
		}
		if r.path[1] == "failed" {
			return refInfo{ok: true, typ: step.Bool}
		}
		return refInfo{ok: true, typ: step.String}
	}
	p.Errorf(pos, end, yamlsrc.Suggest(r.path[0], []string{"inputs", "steps", "item", "incident"}, "Names")+" "+exprHint+"; quote text: 'like this'", "unknown name %q in expression", r.path[0])
	return refInfo{}
}

// checkSecret enforces the secret rule: a secret may flow only as the whole
// value of a parameter that accepts secrets.
func (p *parseState) checkSecret(u *usage, part *tmplPart, r *expr, name string, pos diag.Pos, end int) {
	accept := u.field == "with" && u.param != nil && acceptsSecret(*u.param) && !u.nested && u.t.whole() && part.e == r
	if accept {
		return
	}
	accepting := p.acceptingParams(u.kind)
	where := "a parameter that accepts secrets"
	if accepting != "" {
		where = fmt.Sprintf("a parameter that accepts secrets (%s: %s)", u.kind, accepting)
	}
	rule := fmt.Sprintf("a secret may only be passed whole, as `${{ %s }}`, to %s", name, where)
	switch {
	case part.e != r:
		p.Errorf(pos, end, rule+"; it cannot be compared or tested", "secret %s cannot be used in an expression", name)
	case u.field != "with":
		p.Errorf(pos, end, rule+"; conditions, questions and foreach lists never see secrets", "secret %s cannot be used in %s", name, u.field)
	case !u.t.whole():
		p.Errorf(pos, end, rule+"; it is never rendered into a longer string", "secret %s is rendered into text", name)
	case u.nested:
		p.Errorf(pos, end, rule+"; a list or mapping cannot carry secrets", "secret %s is inside a list or mapping", name)
	case u.param == nil:
		// unknown kind or parameter: already reported
	default:
		p.Errorf(pos, end, rule, "parameter %q of %q steps does not accept secrets, but gets %s", u.param.Name, u.kind, name)
	}
}

func (p *parseState) acceptingParams(kind string) string {
	k, ok := p.lookup(kind)
	if !ok {
		return ""
	}
	var names []string
	for _, pr := range k.Spec().Params {
		if acceptsSecret(pr) {
			names = append(names, pr.Name)
		}
	}
	return strings.Join(names, ", ")
}

func (p *parseState) inputNames() []string {
	out := make([]string, len(p.pb.Inputs))
	for i, in := range p.pb.Inputs {
		out[i] = in.Name
	}
	return out
}

// stepIDs returns the IDs of the steps before step idx.
func (p *parseState) stepIDs(idx int) []string {
	var out []string
	for i := 0; i < idx && i < len(p.pb.Steps); i++ {
		if p.pb.Steps[i].ID != "" {
			out = append(out, p.pb.Steps[i].ID)
		}
	}
	return out
}

// acceptsSecret reports whether a parameter may receive a secret.
func acceptsSecret(pr step.Param) bool { return pr.AcceptsSecret || pr.Type == step.Secret }
