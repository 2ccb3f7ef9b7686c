package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/step"
)

func TestShortRedacted(t *testing.T) {
	if got := ShortRedacted("sk-proj-" + strings.Repeat("*", 152) + "excA"); got != "sk-proj-…excA" {
		t.Errorf("shortRedacted = %q", got)
	}
	if got := ShortRedacted("sk-abc...def"); got != "sk-abc...def" {
		t.Errorf("shortRedacted = %q", got)
	}
}

// OneNamed: no key, the one key, or a bad-input error that lists every ID
// and quotes the name on one line whatever it holds.
func TestOneNamed(t *testing.T) {
	if k, err := OneNamed(nil, "prod", ""); k != nil || err != nil {
		t.Errorf("none: %v, %v; want nil, nil", k, err)
	}
	one := &KeyInfo{ID: "key_1"}
	if k, err := OneNamed([]*KeyInfo{one}, "prod", ""); k != one || err != nil {
		t.Errorf("one: %v, %v; want the key", k, err)
	}
	_, err := OneNamed([]*KeyInfo{{ID: "key_1"}, {ID: "key_2"}}, "prod\n\x1b[31mred", " of project p")
	if !errors.Is(err, step.ErrBadInput) {
		t.Fatalf("two: %v, want a bad-input error", err)
	}
	msg := err.Error()
	for _, want := range []string{"2 keys of project p are named", "key_1, key_2", "key_id"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error %q lacks %q", msg, want)
		}
	}
	if strings.ContainsAny(msg, "\n\x1b") {
		t.Errorf("the error %q carries the name's control characters", msg)
	}
}
