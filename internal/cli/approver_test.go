package cli

import (
	"errors"
	"testing"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/prompt"
	"github.com/respondhq/respond/internal/step"
)

// newApprover returns an approver for user "maya" on test streams (a
// terminal when tty is set) with the scripted prompter p, and a counter of
// calls to its before hook.
func newApprover(t *testing.T, tty, yes bool, p *fakePrompter) (*approver, *int) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	if tty {
		ios.SetTTY(true, true, true)
	}
	f := &Factory{IO: ios, Yes: yes, Prompter: func() prompt.Prompter { return p }}
	before := 0
	return &approver{f: f, user: "maya", before: func() { before++ }}, &before
}

func TestApproverYesApprovesWithoutAsking(t *testing.T) {
	for _, tty := range []bool{false, true} {
		a, before := newApprover(t, tty, true, newFakePrompter(t)) // no question is registered
		got, err := a.Approve(t.Context(), "Apply this plan?")
		if err != nil {
			t.Fatalf("tty=%v: %v", tty, err)
		}
		if want := (step.Approval{Approved: true, By: "maya", How: "--yes"}); got != want {
			t.Errorf("tty=%v: Approve = %+v, want %+v", tty, got, want)
		}
		if *before != 0 {
			t.Errorf("tty=%v: the before-prompt hook ran without a prompt", tty)
		}
	}
}

func TestApproverWithoutTerminalNeedsYes(t *testing.T) {
	a, _ := newApprover(t, false, false, newFakePrompter(t))
	got, err := a.Approve(t.Context(), "Apply this plan?")
	if !errors.Is(err, engine.ErrNeedsYes) {
		t.Fatalf("err = %v, want engine.ErrNeedsYes", err)
	}
	if got.Approved {
		t.Error("approved without a terminal or --yes")
	}

	// A terminal where prompts are forbidden (--output json) is no better.
	a, _ = newApprover(t, true, false, newFakePrompter(t))
	a.f.IO.SetNeverPrompt(true)
	if _, err := a.Approve(t.Context(), "Apply this plan?"); !errors.Is(err, engine.ErrNeedsYes) {
		t.Fatalf("never-prompt terminal: err = %v, want engine.ErrNeedsYes", err)
	}
}

func TestApproverAsksOnTerminal(t *testing.T) {
	p := newFakePrompter(t)
	var def *bool
	p.RegisterConfirm("Revoke key_abc?", func(d bool) (bool, error) {
		def = &d
		return true, nil
	})
	a, before := newApprover(t, true, false, p)
	got, err := a.Approve(t.Context(), "Revoke key_abc?")
	if err != nil {
		t.Fatal(err)
	}
	if want := (step.Approval{Approved: true, By: "maya", How: "prompt"}); got != want {
		t.Errorf("Approve = %+v, want %+v", got, want)
	}
	if def == nil || *def {
		t.Error("the question must default to no")
	}
	if *before != 1 {
		t.Errorf("the before-prompt hook ran %d times, want 1", *before)
	}
}

func TestApproverNoIsDeclined(t *testing.T) {
	p := newFakePrompter(t)
	p.RegisterConfirm("Apply this plan?", answer(false))
	a, _ := newApprover(t, true, false, p)
	got, err := a.Approve(t.Context(), "Apply this plan?")
	if !errors.Is(err, step.ErrDeclined) {
		t.Fatalf("err = %v, want step.ErrDeclined", err)
	}
	if want := (step.Approval{Approved: false, By: "maya", How: "prompt"}); got != want {
		t.Errorf("Approve = %+v, want %+v", got, want)
	}
}

func TestApproverCtrlCDeclines(t *testing.T) {
	p := newFakePrompter(t)
	p.RegisterConfirm("Apply this plan?", func(bool) (bool, error) { return false, prompt.ErrInterrupted })
	a, _ := newApprover(t, true, false, p)
	got, err := a.Approve(t.Context(), "Apply this plan?")
	if !errors.Is(err, step.ErrDeclined) {
		t.Fatalf("err = %v, want step.ErrDeclined", err)
	}
	if want := (step.Approval{Approved: false, By: "maya", How: "Ctrl-C at the prompt"}); got != want {
		t.Errorf("Approve = %+v, want %+v", got, want)
	}
}

func TestApproverPassesOtherPromptErrors(t *testing.T) {
	broken := errors.New("read /dev/tty: input/output error")
	p := newFakePrompter(t)
	p.RegisterConfirm("Apply this plan?", func(bool) (bool, error) { return true, broken })
	a, _ := newApprover(t, true, false, p)
	got, err := a.Approve(t.Context(), "Apply this plan?")
	if !errors.Is(err, broken) {
		t.Fatalf("err = %v, want the prompt's error", err)
	}
	if got.Approved {
		t.Error("approved although the prompt failed")
	}
}
