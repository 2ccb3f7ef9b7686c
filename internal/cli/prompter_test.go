package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/prompt"
)

// fakePrompter is a scripted prompt.Prompter for tests, in the manner of
// gh's mock prompter: each question a test expects is registered, with its
// answer, in the order it must be asked. A question that was not
// registered (or is asked out of order) fails the test, and so does a
// registered question that was never asked by the end of the test.
type fakePrompter struct {
	t     testing.TB
	mu    sync.Mutex
	queue []*promptStub
}

var _ prompt.Prompter = (*fakePrompter)(nil)

// errUnexpectedPrompt is what the fake answers to a question it was not
// told to expect (the test has already been marked failed).
var errUnexpectedPrompt = errors.New("fake prompter: unexpected question")

// promptStub is one expected question and how to answer it.
type promptStub struct {
	kind    string // Confirm, Select, Password or Input
	message string
	confirm func(def bool) (bool, error)
	sel     func(options []string, def int) (int, error)
	text    func(def string) (string, error)
}

// newFakePrompter returns an empty script; at the end of the test it
// checks that every registered question was asked.
func newFakePrompter(t testing.TB) *fakePrompter {
	t.Helper()
	p := &fakePrompter{t: t}
	t.Cleanup(p.verify)
	return p
}

// verify fails the test for every registered question never asked.
func (p *fakePrompter) verify() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.queue {
		p.t.Errorf("fake prompter: %s %q was registered but never asked", s.kind, s.message)
	}
}

// RegisterConfirm expects Confirm(message, …) next and answers with fn.
func (p *fakePrompter) RegisterConfirm(message string, fn func(def bool) (bool, error)) {
	p.add(&promptStub{kind: "Confirm", message: message, confirm: fn})
}

// RegisterSelect expects Select(message, …) next and answers with fn,
// which sees the options offered.
func (p *fakePrompter) RegisterSelect(message string, fn func(options []string, def int) (int, error)) {
	p.add(&promptStub{kind: "Select", message: message, sel: fn})
}

// RegisterPassword expects Password(message) next and answers with fn.
func (p *fakePrompter) RegisterPassword(message string, fn func() (string, error)) {
	p.add(&promptStub{kind: "Password", message: message, text: func(string) (string, error) { return fn() }})
}

// RegisterInput expects Input(message, …) next and answers with fn.
func (p *fakePrompter) RegisterInput(message string, fn func(def string) (string, error)) {
	p.add(&promptStub{kind: "Input", message: message, text: fn})
}

func (p *fakePrompter) add(s *promptStub) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, s)
}

// next pops the stub for a question, or fails the test if the question is
// not the one expected next.
func (p *fakePrompter) next(kind, message string) (*promptStub, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		p.t.Errorf("fake prompter: unexpected %s %q: no (more) questions were registered", kind, message)
		return nil, fmt.Errorf("%w: %s %q", errUnexpectedPrompt, kind, message)
	}
	s := p.queue[0]
	if s.kind != kind || s.message != message {
		p.t.Errorf("fake prompter: asked %s %q, but the next registered question is %s %q", kind, message, s.kind, s.message)
		return nil, fmt.Errorf("%w: %s %q", errUnexpectedPrompt, kind, message)
	}
	p.queue = p.queue[1:]
	return s, nil
}

// Confirm implements prompt.Prompter.
func (p *fakePrompter) Confirm(_ context.Context, message string, def bool) (bool, error) {
	s, err := p.next("Confirm", message)
	if err != nil {
		return false, err
	}
	return s.confirm(def)
}

// Select implements prompt.Prompter.
func (p *fakePrompter) Select(_ context.Context, message string, options []string, def int) (int, error) {
	s, err := p.next("Select", message)
	if err != nil {
		return 0, err
	}
	i, err := s.sel(options, def)
	if err == nil && (i < 0 || i >= len(options)) {
		p.t.Errorf("fake prompter: the answer to %q is option %d of %d", message, i, len(options))
	}
	return i, err
}

// Password implements prompt.Prompter.
func (p *fakePrompter) Password(_ context.Context, message string) (string, error) {
	s, err := p.next("Password", message)
	if err != nil {
		return "", err
	}
	return s.text("")
}

// Input implements prompt.Prompter.
func (p *fakePrompter) Input(_ context.Context, message, def string) (string, error) {
	s, err := p.next("Input", message)
	if err != nil {
		return "", err
	}
	return s.text(def)
}

// answer returns a Confirm answer.
func answer(v bool) func(bool) (bool, error) {
	return func(bool) (bool, error) { return v, nil }
}

// optionContaining answers a Select with the one option that contains
// every one of subs; none or several fail the test.
func optionContaining(t testing.TB, subs ...string) func([]string, int) (int, error) {
	return func(options []string, _ int) (int, error) {
		found := -1
		for i, o := range options {
			all := true
			for _, s := range subs {
				all = all && strings.Contains(o, s)
			}
			if !all {
				continue
			}
			if found >= 0 {
				t.Errorf("options %d and %d both contain %q: %q", found, i, subs, options)
				return 0, errors.New("ambiguous option")
			}
			found = i
		}
		if found < 0 {
			t.Errorf("no option contains %q: %q", subs, options)
			return 0, errors.New("no such option")
		}
		return found, nil
	}
}

// TestFakePrompter checks the fake itself: answers in order, and an
// unregistered or out-of-order question is reported.
func TestFakePrompter(t *testing.T) {
	p := newFakePrompter(t)
	p.RegisterSelect("Pick", optionContaining(t, "b"))
	p.RegisterConfirm("Sure?", answer(true))
	if i, err := p.Select(t.Context(), "Pick", []string{"a", "b", "c"}, 0); err != nil || i != 1 {
		t.Fatalf("Select = %d, %v; want 1, nil", i, err)
	}
	if ok, err := p.Confirm(t.Context(), "Sure?", false); err != nil || !ok {
		t.Fatalf("Confirm = %v, %v; want true, nil", ok, err)
	}

	// A question nobody registered fails the (inner) test.
	rec := &recordingTB{TB: t}
	q := &fakePrompter{t: rec}
	q.RegisterConfirm("First?", answer(true))
	if _, err := q.Input(t.Context(), "Name?", ""); !errors.Is(err, errUnexpectedPrompt) {
		t.Errorf("out-of-order question: err = %v, want errUnexpectedPrompt", err)
	}
	q.verify() // First? was never asked
	if len(rec.errs) != 2 || !strings.Contains(rec.errs[0], `"Name?"`) || !strings.Contains(rec.errs[1], `"First?" was registered but never asked`) {
		t.Errorf("reported %q; want an unexpected-question and a never-asked error", rec.errs)
	}
}

// recordingTB records Errorf calls instead of failing.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Helper() {}
