package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/respondhq/respond/internal/inventory"
)

// rereadInventory reads the incident's inventory again for a resume: the
// file it started with (its `inventory` input), else the one respond finds
// now. nil, nil when that file is gone; an inventory with errors stops the
// resume with them, as it would stop a new response.
func rereadInventory(f *Factory, path string) (*inventory.Inventory, error) {
	if path != "" && f.Inventory == "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		saved := f.Inventory
		f.Inventory = path
		defer func() { f.Inventory = saved }()
	}
	inv, _, err := loadInventory(f)
	return inv, err
}

// inventoryChanges says, in words, how the inventory's credentials now
// differ from those the incident started with: credentials added and
// removed, and each credential's targets added, removed or changed (a
// target of one type replaced by another of the same type, such as a
// fixed environment name or a different command).
func inventoryChanges(before, now any) []string {
	old, cur := credentialTargets(before), credentialTargets(now)
	var names []string
	for n := range old {
		names = append(names, n)
	}
	for n := range cur {
		if _, ok := old[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		o, inOld := old[n]
		c, inNow := cur[n]
		switch {
		case !inOld:
			out = append(out, fmt.Sprintf("credential %s: added (%d target(s))", n, len(c)))
			continue
		case !inNow:
			out = append(out, fmt.Sprintf("credential %s: removed; the targets it wrote stay in the final check", n))
			continue
		}
		gone, added := minus(o, c), minus(c, o)
		// A target of a type removed and one of the same type added read
		// as one change: `prodution` fixed to `production`, a command
		// edited.
		for i := 0; i < len(gone); i++ {
			for j := 0; j < len(added); j++ {
				if typeOfID(gone[i]) == typeOfID(added[j]) {
					out = append(out, fmt.Sprintf("credential %s: changed %s to %s", n, gone[i], added[j]))
					gone = append(gone[:i], gone[i+1:]...)
					added = append(added[:j], added[j+1:]...)
					i--
					break
				}
			}
		}
		for _, t := range added {
			out = append(out, fmt.Sprintf("credential %s: added %s", n, t))
		}
		for _, t := range gone {
			out = append(out, fmt.Sprintf("credential %s: removed %s (if an earlier run wrote it, it stays in the final check)", n, t))
		}
	}
	return out
}

// credentialTargets maps each credential's name to its targets' IDs, from
// the plain data playbooks carry (inventory.Maps).
func credentialTargets(v any) map[string][]string {
	out := map[string][]string{}
	list, _ := v.([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		name, _ := m["name"].(string)
		if name == "" {
			continue
		}
		ids := []string{}
		targets, _ := m["targets"].([]any)
		for _, t := range targets {
			if tm, ok := t.(map[string]any); ok {
				if id, _ := tm["id"].(string); id != "" {
					ids = append(ids, id)
				}
			}
		}
		out[name] = ids
	}
	return out
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// typeOfID is a target ID's type ("dotenv:…" is a dotenv target).
func typeOfID(id string) string {
	t, _, _ := strings.Cut(id, ":")
	return t
}
