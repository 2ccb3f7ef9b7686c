package provider

import (
	"strings"
	"testing"
)

func TestShortRedacted(t *testing.T) {
	if got := ShortRedacted("sk-proj-" + strings.Repeat("*", 152) + "excA"); got != "sk-proj-…excA" {
		t.Errorf("shortRedacted = %q", got)
	}
	if got := ShortRedacted("sk-abc...def"); got != "sk-abc...def" {
		t.Errorf("shortRedacted = %q", got)
	}
}
