package steps

import (
	"strings"
	"testing"
)

func TestFitName(t *testing.T) {
	inc := "INC-20260301-120000-ab12"
	if got := fitName("respond-x-"+inc, inc, 64); got != "respond-x-"+inc {
		t.Errorf("short name changed: %q", got)
	}
	long := "respond-" + strings.Repeat("ä", 80) + "-" + inc
	got := fitName(long, inc, 64)
	if n := len([]rune(got)); n != 64 || !strings.HasSuffix(got, "-"+inc) || !strings.HasPrefix(got, "respond-ää") {
		t.Errorf("fitName = %q (%d runes)", got, n)
	}
	if got := fitName(strings.Repeat("n", 100), "", 64); len(got) != 64 {
		t.Errorf("fitName without incident = %q", got)
	}
}
