package steps

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/step"
)

// fakeApprover answers with a fixed Approval (or error) and records the
// questions it was asked.
type fakeApprover struct {
	answer step.Approval
	err    error
	asked  []string
}

func (f *fakeApprover) Approve(_ context.Context, q string) (step.Approval, error) {
	f.asked = append(f.asked, q)
	return f.answer, f.err
}

const question = "Revoke the leaked key now?"

func TestApproveApproved(t *testing.T) {
	for _, tc := range []struct {
		answer  step.Approval
		summary string
	}{
		{step.Approval{Approved: true, By: "alice", How: "prompt"}, "approved by alice (prompt)"},
		{step.Approval{Approved: true, By: "bob", How: "--yes"}, "approved by bob (--yes)"},
	} {
		f := &fakeApprover{answer: tc.answer}
		c, _ := newCall(t, map[string]any{"message": question})
		c.Approver = f
		res, err := Approve{}.Apply(context.Background(), c)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if len(f.asked) != 1 || f.asked[0] != question {
			t.Errorf("asked %q, want [%q]", f.asked, question)
		}
		if res.Summary != tc.summary {
			t.Errorf("Summary = %q, want %q", res.Summary, tc.summary)
		}
		if res.Outputs["approved_by"] != tc.answer.By {
			t.Errorf("approved_by = %v, want %q", res.Outputs["approved_by"], tc.answer.By)
		}
		if res.Evidence["by"] != tc.answer.By || res.Evidence["how"] != tc.answer.How {
			t.Errorf("Evidence = %v", res.Evidence)
		}
	}
}

func TestApproveDeclined(t *testing.T) {
	c, _ := newCall(t, map[string]any{"message": question})
	c.Approver = &fakeApprover{answer: step.Approval{Approved: false, By: "alice", How: "prompt"}}
	res, err := Approve{}.Apply(context.Background(), c)
	if !errors.Is(err, step.ErrDeclined) {
		t.Fatalf("Apply = %v, %v; want an error wrapping step.ErrDeclined", res, err)
	}
	if !strings.Contains(err.Error(), question) || !strings.Contains(err.Error(), "alice") {
		t.Errorf("error %q does not say what was declined and by whom", err)
	}
	if !step.IsPermanent(err) {
		t.Errorf("a refusal is retryable: %v", err)
	}
}

func TestApproveApproverError(t *testing.T) {
	boom := errors.New("no terminal to prompt on")
	c, _ := newCall(t, map[string]any{"message": question})
	c.Approver = &fakeApprover{err: boom}
	_, err := Approve{}.Apply(context.Background(), c)
	if !errors.Is(err, boom) || errors.Is(err, step.ErrDeclined) {
		t.Fatalf("Apply = %v, want the approver's error (not a decline)", err)
	}
}

func TestApproveWithoutApprover(t *testing.T) {
	c, _ := newCall(t, map[string]any{"message": question})
	_, err := Approve{}.Apply(context.Background(), c)
	if err == nil || !step.IsPermanent(err) || errors.Is(err, step.ErrDeclined) {
		t.Fatalf("Apply without approver = %v, want a permanent error", err)
	}
	if !strings.Contains(err.Error(), "--yes") {
		t.Errorf("error %q does not say what to do", err)
	}
}

func TestApprovePlan(t *testing.T) {
	c, _ := newCall(t, map[string]any{"message": question})
	f := &fakeApprover{answer: step.Approval{Approved: true}}
	c.Approver = f
	changes, err := Approve{}.Plan(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := step.Change{Action: step.Ask, Target: "responder", Effect: question}
	if len(changes) != 1 || changes[0] != want {
		t.Errorf("Plan = %+v, want [%+v]", changes, want)
	}
	if len(f.asked) != 0 {
		t.Errorf("Plan asked the approver %q", f.asked)
	}
}

func TestMessageRequired(t *testing.T) {
	for _, k := range []step.Kind{Approve{}, Note{}} {
		c, _ := newCall(t, map[string]any{})
		c.Approver = &fakeApprover{answer: step.Approval{Approved: true}}
		if _, err := k.Apply(context.Background(), c); err == nil || !step.IsPermanent(err) {
			t.Errorf("%s Apply without message = %v, want a permanent error", k.Spec().Kind, err)
		}
		if _, err := k.Plan(context.Background(), c); err == nil || !step.IsPermanent(err) {
			t.Errorf("%s Plan without message = %v, want a permanent error", k.Spec().Kind, err)
		}
	}
}
