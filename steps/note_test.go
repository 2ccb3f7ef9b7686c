package steps

import (
	"context"
	"testing"

	"github.com/respondhq/respond/internal/step"
)

func TestNote(t *testing.T) {
	const msg = "Key found in a public gist; paging the owner."
	c, _ := newCall(t, map[string]any{"message": msg})
	res, err := Note{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Note != msg || res.Summary != msg {
		t.Errorf("Result = %+v, want Note and Summary %q", res, msg)
	}
	changes, err := Note{}.Plan(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := step.Change{Action: step.Record, Target: "incident timeline", Effect: msg}
	if len(changes) != 1 || changes[0] != want {
		t.Errorf("Plan = %+v, want [%+v]", changes, want)
	}
}
