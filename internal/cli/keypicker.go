package cli

import (
	"strings"

	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/ui"
)

// keyPickerQuestion is the key picker's question; its columns are named
// in it, as survey has no header line.
const keyPickerQuestion = "Which key leaked? (name, key, owner, created, last used)"

// keyPickerRows are the key picker's options, one a key, each fitting a
// terminal width columns wide with survey's cursor ("> ") before it: the
// name and the owner share what the fixed columns leave (at most 24
// columns each; an ID is shown whole), so that no row wraps (a wrapped row
// is hard to tell from the next) and the columns line up. Names, owners
// and the rest come from the provider's API and are cleaned of control
// characters.
func keyPickerRows(spec *provider.Spec, keys []provider.KeyInfo, width int) []string {
	const (
		cursor   = 2  // survey's "> "
		dateW    = 10 // 2006-01-02
		lastW    = 16 // 2006-01-02 15:04, never, unknown
		gaps     = 4 * 2
		maxShown = 13 // sk-proj-…abcd
		maxName  = 24
		maxID    = 40
		minCol   = 8
	)
	if width <= 0 {
		width = 80
	}
	labels, shown := make([]string, len(keys)), make([]string, len(keys))
	labelW, shownW := 0, 0
	for i, k := range keys {
		labels[i], shown[i] = k.Name, prefix(k.Redacted, 8)+"…"+suffix(k.Redacted, 4)
		if !spec.KeyNames {
			// Keys without names are told apart by ID and state.
			labels[i], shown[i] = k.ID, k.Status
		}
		labelW = max(labelW, ui.StringWidth(ui.Clean(labels[i])))
		shownW = max(shownW, ui.StringWidth(ui.Clean(shown[i])))
	}
	shownW = min(shownW, maxShown)
	free := width - cursor - shownW - dateW - lastW - gaps
	nameW := min(labelW, max(minCol, free/2), maxName) // an owner's e-mail gets the odd column
	if !spec.KeyNames {
		nameW = min(labelW, maxID) // an ID is shown whole
	}
	nameW = max(nameW, 1)
	ownerW := max(minCol, min(maxName, free-nameW))
	rows := make([]string, len(keys))
	for i, k := range keys {
		last := "never"
		if !spec.Caps.LastUsed {
			last = "unknown"
		}
		if k.LastUsed != nil {
			last = k.LastUsed.Local().Format("2006-01-02 15:04")
		}
		owner := firstNonEmpty(k.Owner.Email, k.Owner.Name, k.Owner.ID)
		cells := []string{ui.Cell(labels[i], nameW), ui.Cell(shown[i], shownW), ui.Cell(owner, ownerW),
			ui.Cell(k.Created.Local().Format("2006-01-02"), dateW), ui.Cell(last, lastW)}
		rows[i] = strings.TrimRight(strings.Join(cells, "  "), " ")
	}
	return rows
}
