// Package conformance is the suite every type of target runs against its
// fake: a write creates the place's value, a rewrite of the same value
// changes nothing, an overwrite replaces it and keeps what surrounds it, a
// Reader reads it back, several parts land at once, preflight passes for
// a place that can be written and refuses one that cannot (saying what to
// do, changing nothing), a batch check agrees with the single one, and
// hostile values in every field are refused by the inventory's validation
// or land exactly at the place they name with nothing shown holding a
// control character. Every claim is judged by the world (what the fake
// holds, read without the writer), and no value the suite writes, nor a
// credential of the fake, may appear in anything the writer says.
//
// internal/plugins runs it for every registered type with a Fake and a
// Sample (FakeHarness); a type tested against another fake (a file system,
// moto, the simulator's GitHub) runs it from its own tests with a Harness
// of its own, and declares where in its Spec (FakeElsewhere).
package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/textsafe"
)

// Harness is what the suite needs of a type of target and its fake.
type Harness struct {
	// Spec is the type under test (registered: targets find their Spec
	// by type).
	Spec *target.Spec
	// Writer is the type's writer, built by Spec.New from a plug-in
	// environment that points at the fake.
	Writer target.Writer
	// Place returns a valid target at the fake for a place nobody wrote
	// yet, named after name (letters, digits and _, unique in a run), its
	// container made so that a write can succeed. Every place it returns
	// is in one container and holds name, as given, in one Names field
	// (a MultiPart type's target of several parts is derived from it:
	// that field removed, keys naming the places). A type whose places
	// exist before respond writes them (an SSM parameter) seeds the place
	// itself with another value.
	Place func(t testing.TB, name string) target.Target
	// Holds reads what the place tg names holds, from the fake (never
	// through the writer); ok is false when it holds nothing. Required
	// when Spec.Holds.
	Holds func(t testing.TB, tg target.Target) (value string, ok bool)
	// World lists every place the fake holds, each under a name of the
	// harness's choosing, with what it holds (for a file, its comments
	// too), so that the suite can tell that a write changed exactly the
	// place it names and nothing else, and that a check changed nothing.
	// nil when the fake cannot be listed (the suite then relies on Holds).
	World func(t testing.TB) map[string]string
	// Denied returns a target at the fake the writer must refuse at
	// preflight: its container does not exist (nil: the type has none).
	Denied func(t testing.TB, name string) target.Target
	// DeniedWriter is the type's writer with credentials that may not
	// write (read-only, or no permission at all): its preflight must
	// refuse a Place (nil: the fake has none).
	DeniedWriter target.Writer
	// BlindPlan: Plan does not read the place (GitHub secrets, to keep
	// preflight fast): it says update ("create or replace") for a fresh
	// place too, and Write's Created tells which it was.
	BlindPlan bool
	// BlindWrite: neither can Write tell a new place from one it
	// replaced (a command): Plan says update and Created is false.
	BlindWrite bool
	// Secrets are the fake's credentials (tokens, keys): like the values
	// written, they must appear in nothing the writer says.
	Secrets []string
}

// Run runs the suite as subtests of t. A type that does not hold the
// credential (Spec.Holds false: a deployment to re-run) runs what applies
// to it: check and plan, a write that is refused, preflight denial, batch
// checks, plan notes and hostile values.
func Run(t *testing.T, h Harness) {
	t.Helper()
	switch {
	case h.Spec == nil || h.Writer == nil || h.Place == nil:
		t.Fatal("conformance.Harness needs Spec, Writer and Place")
	case h.Spec.Holds && h.Holds == nil:
		t.Fatalf("%s targets hold the credential: the harness needs Holds, to read what a place holds from the fake", h.Spec.Type)
	}
	if got, ok := target.Lookup(h.Spec.Type); !ok || got.ID == nil {
		t.Fatalf("type %s is not registered: the suite finds a target's Spec by its type", h.Spec.Type)
	}
	s := &suite{h: h, run: randomHex(6), reg: secret.NewRegistry()}
	t.Run("check and plan change nothing", s.checkAndPlan)
	if h.Spec.Holds {
		t.Run("write creates", s.create)
		t.Run("rewrite is idempotent", s.rewrite)
		t.Run("overwrite", s.overwrite)
		t.Run("read back", s.readBack)
		t.Run("write parts", s.parts)
	} else {
		t.Run("write is refused", s.holdsNothing)
	}
	t.Run("preflight denial", s.denial)
	t.Run("batch check agrees with check", s.batch)
	t.Run("plan notes", s.notes)
	t.Run("hostile values", s.hostile)
}

type suite struct {
	h   Harness
	run string // random, unique to this run: in names and values
	reg *secret.Registry

	mu     sync.Mutex
	n      int
	values []string // every value the suite wrote
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// name returns a fresh place name: letters, digits and _, valid as a
// variable, a GitHub secret, a JSON key or a Vault field.
func (s *suite) name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("RESPOND_CONFORMANCE_%s_%d", strings.ToUpper(s.run[:4]), s.n)
}

// value returns a fresh value to write, remembered for the leak checks.
func (s *suite) value(label string) secret.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := fmt.Sprintf("sk-conformance-%s-%s-%d", s.run, label, len(s.values))
	s.values = append(s.values, v)
	s.reg.Add(secret.New(v))
	return secret.New(v)
}

// ctx is the context writers get, as deploy gives it: the run's secrets
// registered, for a writer that starts a command.
func (s *suite) ctx() context.Context {
	return secret.NewContext(context.Background(), s.reg)
}

func (s *suite) place(t *testing.T) target.Target {
	t.Helper()
	return s.h.Place(t, s.name())
}

// clean fails t if text holds a value the suite wrote or a credential of
// the fake, or (oneLine) any control character, escape or
// bidirectional control, or (else) any of them but newlines and tabs.
func (s *suite) clean(t testing.TB, what, text string, oneLine bool) {
	t.Helper()
	s.mu.Lock()
	secrets := append(append([]string(nil), s.values...), s.h.Secrets...)
	s.mu.Unlock()
	for _, v := range secrets {
		if v == "" {
			continue
		}
		if strings.Contains(text, v) || (len(v) >= 16 && strings.Contains(text, v[len(v)/2-6:len(v)/2+6])) {
			t.Errorf("%s holds (part of) a secret: a value the suite wrote or a credential of the fake", what)
		}
	}
	safe := textsafe.Text(text)
	if oneLine {
		safe = textsafe.Line(text)
	}
	if safe != text {
		t.Errorf("%s holds a control character, an escape or a bidirectional control: %q", what, text)
	}
}

// cleanErr checks an error's text.
func (s *suite) cleanErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		s.clean(t, what, err.Error(), false)
	}
}

// world lists the world (nil without World).
func (s *suite) world(t testing.TB) map[string]string {
	t.Helper()
	if s.h.World == nil {
		return nil
	}
	return s.h.World(t)
}

// diff returns the names of the places whose value differs between before
// and after (added and removed ones too), sorted.
func diff(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if w, ok := before[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// unchanged fails t if the world differs from before.
func (s *suite) unchanged(t testing.TB, what string, before map[string]string) {
	t.Helper()
	if s.h.World == nil {
		return
	}
	if d := diff(before, s.h.World(t)); len(d) > 0 {
		t.Errorf("%s changed the world: %q", what, d)
	}
}

// onlyWrote fails t unless the world differs from before at no more
// places than values, each now holding one of values.
func (s *suite) onlyWrote(t testing.TB, what string, before map[string]string, values ...secret.Value) {
	t.Helper()
	if s.h.World == nil {
		return
	}
	after := s.h.World(t)
	d := diff(before, after)
	if len(d) > len(values) {
		t.Errorf("%s changed %d places of the world, want at most %d (what it writes, and nothing else): %q", what, len(d), len(values), d)
	}
	for _, k := range d {
		v, ok := after[k]
		if !ok || !slices.ContainsFunc(values, func(x secret.Value) bool { return x.Reveal() == v }) {
			t.Errorf("%s changed %q to something it was not asked to write (or removed it)", what, k)
		}
	}
}

// holds reads the world's truth of a place.
func (s *suite) holds(t testing.TB, tg target.Target) (string, bool) {
	t.Helper()
	return s.h.Holds(t, tg)
}

// mustHold fails t unless the world says tg holds v.
func (s *suite) mustHold(t testing.TB, what string, tg target.Target, v secret.Value) {
	t.Helper()
	got, ok := s.holds(t, tg)
	switch {
	case !ok:
		t.Fatalf("%s: the fake says %s holds nothing", what, tg.ID())
	case got != v.Reveal():
		t.Fatalf("%s: the fake says %s holds another value than the one written", what, tg.ID())
	}
}

// check runs Check and checks what it says.
func (s *suite) check(t testing.TB, w target.Writer, tg target.Target) error {
	t.Helper()
	err := w.Check(s.ctx(), tg)
	s.cleanErr(t, "Check's error", err)
	return err
}

// plan runs Plan, which must succeed, and checks what it says.
func (s *suite) plan(t testing.TB, tg target.Target) step.Change {
	t.Helper()
	ch, err := s.h.Writer.Plan(s.ctx(), tg)
	if err != nil {
		s.cleanErr(t, "Plan's error", err)
		t.Fatalf("Plan of %s: %v", tg.ID(), err)
	}
	s.checkChange(t, tg, ch)
	return ch
}

// checkChange checks a Plan's change: it names the target by its ID, says
// what it does, and holds nothing it must not.
func (s *suite) checkChange(t testing.TB, tg target.Target, ch step.Change) {
	t.Helper()
	if ch.Target != tg.ID() {
		t.Errorf("Plan's change names %q, not the target's ID %q", ch.Target, tg.ID())
	}
	if ch.Effect == "" || ch.Action == "" {
		t.Errorf("Plan's change says nothing of what it does: %+v", ch)
	}
	s.clean(t, "Plan's effect", ch.Effect, true)
}

// write runs Write, which must succeed, and checks what it says.
func (s *suite) write(t testing.TB, tg target.Target, v secret.Value) target.WriteResult {
	t.Helper()
	res, err := s.h.Writer.Write(s.ctx(), tg, v)
	if err != nil {
		s.cleanErr(t, "Write's error", err)
		t.Fatalf("Write to %s: %v", tg.ID(), err)
	}
	s.checkResult(t, res)
	return res
}

func (s *suite) checkResult(t testing.TB, res target.WriteResult) {
	t.Helper()
	s.clean(t, "WriteResult.Detail", res.Detail, false)
	s.clean(t, "WriteResult.Rollback", res.Rollback, false)
	s.clean(t, "WriteResult.FollowUp", res.FollowUp, false)
}

func (s *suite) checkAndPlan(t *testing.T) {
	p := s.place(t)
	s.describe(t, p)
	before := s.world(t)
	if err := s.check(t, s.h.Writer, p); err != nil {
		t.Fatalf("Check of a place that can be written (%s): %v", p.ID(), err)
	}
	s.plan(t, p)
	s.unchanged(t, "Check and Plan", before)
}

// describe checks that a target's ID and description hold no control
// character.
func (s *suite) describe(t testing.TB, tg target.Target) {
	t.Helper()
	s.clean(t, "the target's ID", tg.ID(), true)
	if s.h.Spec.Describe != nil {
		where, name, notes := s.h.Spec.Describe(tg, func(p string) string { return p })
		s.clean(t, "Describe's where", where, true)
		s.clean(t, "Describe's name", name, true)
		s.clean(t, "Describe's notes", notes, true)
	}
}

func (s *suite) create(t *testing.T) {
	p := s.place(t)
	before := s.world(t)
	_, had := s.holds(t, p)
	ch := s.plan(t, p)
	want := step.Create
	switch {
	case had:
		t.Logf("%s places exist before respond writes them: the first write replaces what Place seeded", s.h.Spec.Type)
		want = step.Update
	case s.h.BlindPlan || s.h.BlindWrite:
		want = step.Update
	}
	if ch.Action != want {
		t.Errorf("Plan of a place that holds nothing says %q, want %q", ch.Action, want)
	}
	v := s.value("create")
	res := s.write(t, p, v)
	s.mustHold(t, "after the first write", p, v)
	if wantCreated := !had && !s.h.BlindWrite; res.Created != wantCreated {
		t.Errorf("the first write says Created %v, want %v", res.Created, wantCreated)
	}
	s.onlyWrote(t, "the first write", before, v)
	ch = s.plan(t, p)
	if ch.Action != step.Update {
		t.Errorf("Plan of a place that holds a value says %q, want %q", ch.Action, step.Update)
	}
}

func (s *suite) rewrite(t *testing.T) {
	p := s.place(t)
	v := s.value("rewrite")
	s.write(t, p, v)
	before := s.world(t)
	res := s.write(t, p, v)
	if res.Created {
		t.Errorf("writing the value a place already holds says Created")
	}
	s.mustHold(t, "after the same value was written again", p, v)
	s.unchanged(t, "writing the value a place already holds", before)
}

func (s *suite) overwrite(t *testing.T) {
	p := s.place(t)
	v1, v2 := s.value("first"), s.value("second")
	s.write(t, p, v1)
	if ch := s.plan(t, p); ch.Action != step.Update {
		t.Errorf("Plan of a place that holds a value says %q, want %q", ch.Action, step.Update)
	}
	before := s.world(t)
	res := s.write(t, p, v2)
	if res.Created {
		t.Errorf("replacing a value says Created")
	}
	s.mustHold(t, "after an overwrite", p, v2)
	s.onlyWrote(t, "an overwrite", before, v2)
}

func (s *suite) readBack(t *testing.T) {
	r, ok := s.h.Writer.(target.Reader)
	if !ok {
		t.Skipf("%T is no target.Reader", s.h.Writer)
	}
	p := s.place(t)
	if _, had := s.holds(t, p); !had {
		v, err := r.Read(s.ctx(), p, "")
		s.cleanErr(t, "Read's error", err)
		if !errors.Is(err, step.ErrNotFound) {
			t.Errorf("Read of a place that holds nothing = %v; want an error wrapping step.ErrNotFound", err)
		}
		if !v.IsZero() {
			t.Errorf("Read of a place that holds nothing returned a value")
		}
	}
	v1, v2 := s.value("read-first"), s.value("read-second")
	s.write(t, p, v1)
	s.write(t, p, v2)
	got, err := r.Read(s.ctx(), p, "")
	s.cleanErr(t, "Read's error", err)
	if err != nil || got.Reveal() != v2.Reveal() {
		t.Errorf("Read after writing a value: %v; it did not read back the value written last", err)
	}
}

// namesField returns the Names field of tg that holds name.
func (s *suite) namesField(t testing.TB, tg target.Target, name string) string {
	t.Helper()
	for _, f := range s.h.Spec.Fields {
		if f.Names && tg.Str(f.Name) == name {
			return f.Name
		}
	}
	t.Fatalf("no Names field of %s holds the place's name %q: Place must put the name, as given, in one", tg.ID(), name)
	return ""
}

func (s *suite) parts(t *testing.T) {
	if !s.h.Spec.MultiPart {
		t.Skipf("%s targets hold one part", s.h.Spec.Type)
	}
	mw, ok := s.h.Writer.(target.MultiPartWriter)
	if !ok {
		t.Fatalf("%s is MultiPart, and its writer %T is no target.MultiPartWriter", s.h.Spec.Type, s.h.Writer)
	}
	k1, k2 := s.name(), s.name()
	p1, p2 := s.h.Place(t, k1), s.h.Place(t, k2)
	field := s.namesField(t, p1, k1)
	tg := p1.With(field, nil).With(target.KeysField, map[string]string{k1: "part_a", k2: "part_b"})
	if err := tg.Validate(); err != nil {
		t.Fatalf("a target of two parts derived from Place is invalid: %v", err)
	}
	s.describe(t, tg)
	if err := s.check(t, s.h.Writer, tg); err != nil {
		t.Fatalf("Check of a target of two parts: %v", err)
	}
	s.plan(t, tg)
	_, had1 := s.holds(t, p1)
	_, had2 := s.holds(t, p2)
	va, vb := s.value("part-a"), s.value("part-b")
	before := s.world(t)
	res, err := mw.WriteParts(s.ctx(), tg, map[string]secret.Value{k1: va, k2: vb})
	s.cleanErr(t, "WriteParts' error", err)
	if err != nil {
		t.Fatalf("WriteParts: %v", err)
	}
	s.checkResult(t, res)
	s.mustHold(t, "after WriteParts", p1, va)
	s.mustHold(t, "after WriteParts", p2, vb)
	if !had1 && !had2 && !s.h.BlindWrite && !res.Created {
		t.Errorf("WriteParts to places that held nothing says Created false")
	}
	s.onlyWrote(t, "WriteParts", before, va, vb)
	before = s.world(t)
	res, err = mw.WriteParts(s.ctx(), tg, map[string]secret.Value{k1: va, k2: vb})
	if err != nil || res.Created {
		t.Errorf("WriteParts of the values the places hold: %+v, %v; want no error and Created false", res, err)
	}
	s.unchanged(t, "WriteParts of the values the places hold", before)
	if r, ok := s.h.Writer.(target.Reader); ok {
		if got, err := r.Read(s.ctx(), tg, "part_b"); err != nil || got.Reveal() != vb.Reveal() {
			t.Errorf("Read of part_b of a target of two parts: %v; it did not read the value written to its key", err)
		}
	}
}

func (s *suite) holdsNothing(t *testing.T) {
	p := s.place(t)
	before := s.world(t)
	res, err := s.h.Writer.Write(s.ctx(), p, s.value("refused"))
	s.cleanErr(t, "Write's error", err)
	s.checkResult(t, res)
	if err == nil {
		t.Errorf("a %s target holds nothing, and Write to it succeeded", s.h.Spec.Type)
	}
	s.unchanged(t, "a refused Write", before)
}

// advice is how a message says what to do.
var advice = regexp.MustCompile(`(?i)\b(add|allow|ask|check|create|enable|export|fix|give|grant|install|make|point|remove|restore|run|set|use)\b`)

// refused checks a preflight refusal: a problem wrapping
// step.ErrPreflight that names the place and says what to do.
func (s *suite) refused(t testing.TB, what string, tg target.Target, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: Check passed", what)
		return
	}
	if !errors.Is(err, step.ErrPreflight) {
		t.Errorf("%s: Check's error does not wrap step.ErrPreflight (use target.Preflightf): %v", what, err)
	}
	text := err.Error()
	if !strings.Contains(text, tg.ID()) && !slices.ContainsFunc(placeWords(s.h.Spec, tg), func(w string) bool { return strings.Contains(text, w) }) {
		t.Errorf("%s: Check's error names neither the target nor its place: %v", what, err)
	}
	if !advice.MatchString(text) {
		t.Errorf("%s: Check's error does not say what to do (create, fix, check, give, use…): %v", what, err)
	}
}

// placeWords are the words that name a target's place: its Describe's
// where and name, its fields' values, a path's directory and file.
func placeWords(spec *target.Spec, tg target.Target) []string {
	var out []string
	add := func(s string) {
		if len(s) > 1 && s != "-" {
			out = append(out, s)
		}
	}
	if spec.Describe != nil {
		where, name, _ := spec.Describe(tg, func(p string) string { return p })
		add(where)
		add(name)
	}
	for _, f := range spec.Fields {
		switch v := tg.Fields[f.Name].(type) {
		case string:
			add(v)
			if f.Path {
				add(path.Dir(v))
				add(path.Base(v))
			}
		case []string:
			for _, e := range v {
				add(e)
			}
		}
	}
	return out
}

func (s *suite) denial(t *testing.T) {
	if s.h.Denied == nil && s.h.DeniedWriter == nil {
		t.Skipf("the harness gives neither a target nor credentials that %s preflight must refuse", s.h.Spec.Type)
	}
	if s.h.Denied != nil {
		d := s.h.Denied(t, s.name())
		s.describe(t, d)
		before := s.world(t)
		s.refused(t, "a target whose container does not exist", d, s.check(t, s.h.Writer, d))
		if ch, err := s.h.Writer.Plan(s.ctx(), d); err == nil {
			s.checkChange(t, d, ch)
		} else {
			s.cleanErr(t, "Plan's error", err)
		}
		s.unchanged(t, "Check and Plan of a target preflight refuses", before)
	}
	if s.h.DeniedWriter != nil {
		p := s.place(t)
		if err := s.check(t, s.h.Writer, p); err != nil {
			t.Fatalf("Check of a place that can be written (%s): %v", p.ID(), err)
		}
		before := s.world(t)
		s.refused(t, "credentials that may not write", p, s.check(t, s.h.DeniedWriter, p))
		s.unchanged(t, "Check with credentials that may not write", before)
	}
}

func (s *suite) batch(t *testing.T) {
	bc, ok := s.h.Writer.(target.BatchChecker)
	if !ok {
		t.Skipf("%T is no target.BatchChecker", s.h.Writer)
	}
	ts := []target.Target{s.place(t), s.place(t)}
	if s.h.Denied != nil {
		ts = slices.Insert(ts, 1, s.h.Denied(t, s.name()))
	}
	before := s.world(t)
	errs := bc.CheckAll(s.ctx(), ts)
	if len(errs) != len(ts) {
		t.Fatalf("CheckAll of %d targets returned %d errors", len(ts), len(errs))
	}
	for i, tg := range ts {
		s.cleanErr(t, "CheckAll's error", errs[i])
		one := s.h.Writer.Check(s.ctx(), tg)
		if (one == nil) != (errs[i] == nil) || errors.Is(one, step.ErrPreflight) != errors.Is(errs[i], step.ErrPreflight) {
			t.Errorf("%s: CheckAll says %v, Check says %v", tg.ID(), errs[i], one)
		}
	}
	s.unchanged(t, "CheckAll", before)
}

func (s *suite) notes(t *testing.T) {
	n, ok := s.h.Writer.(target.Noter)
	if !ok {
		t.Skipf("%T is no target.Noter", s.h.Writer)
	}
	before := s.world(t)
	for _, note := range n.PlanNotes(s.ctx(), []target.Target{s.place(t), s.place(t)}) {
		s.clean(t, "a plan note's ID", note.ID, true)
		s.clean(t, "a plan note", note.Text, false)
		s.clean(t, "a plan note's follow-up", note.FollowUp, true)
	}
	s.unchanged(t, "PlanNotes", before)
}
