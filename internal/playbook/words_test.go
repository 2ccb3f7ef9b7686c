package playbook

import (
	"strings"
	"testing"
)

// A condition in words names what it tests and never shows ${{ }}.
func TestConditionWords(t *testing.T) {
	for src, want := range map[string]string{
		"${{ steps.targets.outputs.key_id != '' }}":     "the output key_id of step targets is set",
		"${{ steps.identify.outputs.alert != '' }}":     "the output alert of step identify is set",
		"${{ steps.contain.outputs.reversible }}":       "the output reversible of step contain is true or set",
		"inputs.force == false":                         "the input force is false",
		"${{ inputs.mode == 'fast' }}":                  `the input mode is "fast"`,
		"${{ !inputs.dry }}":                            "the input dry is false or empty",
		"${{ inputs.a && (inputs.b || item.x == '') }}": "the input a is true or set and (the input b is true or set or the item's x is empty)",
		"${{ !(inputs.kind != 'x') }}":                  `the input kind is "x"`,
	} {
		tm, err := ParseExpression(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got := tm.Words()
		if got != want {
			t.Errorf("%s: words %q, want %q", src, got, want)
		}
		if strings.Contains(got, "${{") || strings.Contains(got, "steps.") {
			t.Errorf("%s: words %q show the expression", src, got)
		}
	}
}
