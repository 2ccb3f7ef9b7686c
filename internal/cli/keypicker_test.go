package cli

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/ui"
)

// The key picker's rows fit the terminal with survey's cursor before them,
// line up, and show no control character, whatever the API named the keys
// and their owners: long names, wide characters, escape sequences.
func TestKeyPickerRowsFit(t *testing.T) {
	used := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	keys := []provider.KeyInfo{
		{ID: "key_1", Name: "production backend key for the payments service", Redacted: "sk-proj-abcdefghij1234",
			Owner: evidence.Owner{Email: "a.very.long.service.account.name@example-corporation.com"}, Created: used, LastUsed: &used},
		{ID: "key_2", Name: "本番キー本番キー本番キー本番キー", Redacted: "sk-proj-zzzzzzzzzzWXYZ",
			Owner: evidence.Owner{Name: "\x1b[2J\x1b]0;pwned\x07bob"}, Created: used},
		{ID: "key_3", Name: "ci", Redacted: "sk-proj-qqqqqqqqqq9876", Owner: evidence.Owner{ID: "user_1"}, Created: used},
	}
	spec := &provider.Spec{KeyNames: true, Caps: provider.Capabilities{LastUsed: true}}
	for _, width := range []int{80, 100, 200} {
		rows := keyPickerRows(spec, keys, width)
		keyCol := -1
		for i, r := range rows {
			if w := ui.StringWidth(r) + 2; w > width {
				t.Errorf("width %d: row %d is %d columns with the cursor: %q", width, i, w, r)
			}
			if strings.ContainsFunc(r, unicode.IsControl) {
				t.Errorf("width %d: row %d holds a control character: %q", width, i, r)
			}
			at := strings.Index(r, "sk-proj-")
			if at < 0 {
				t.Fatalf("width %d: row %d does not show the redacted key: %q", width, i, r)
			}
			col := ui.StringWidth(r[:at])
			if keyCol >= 0 && col != keyCol {
				t.Errorf("width %d: row %d's key starts at column %d, row 0's at %d", width, i, col, keyCol)
			}
			keyCol = col
		}
		if !strings.Contains(rows[0], "2026-12-01") || !strings.Contains(rows[2], "never") {
			t.Errorf("width %d: created or last use missing: %q", width, rows)
		}
		if width >= 100 && !strings.Contains(rows[0], "production backend key …") {
			t.Errorf("width %d: a wide terminal cut the name short: %q", width, rows[0])
		}
	}

	// Keys without names (AWS): the ID whole, the status beside it.
	ids := []provider.KeyInfo{
		{ID: "AKIARZPUZDIKB32XVM5T", Status: "Active", Owner: evidence.Owner{Name: "deploy-bot-with-a-very-long-user-name"}, Created: used},
		{ID: "AKIARZPUZDIKPIBQQQQQ", Status: "Inactive", Owner: evidence.Owner{Name: "ci-bot"}, Created: used, LastUsed: &used},
	}
	for i, r := range keyPickerRows(&provider.Spec{Caps: provider.Capabilities{LastUsed: true}}, ids, 80) {
		if !strings.HasPrefix(r, ids[i].ID+"  "+ids[i].Status) || ui.StringWidth(r)+2 > 80 {
			t.Errorf("row %d %q: want the whole ID %s then its status, within 80 columns", i, r, ids[i].ID)
		}
	}
}
