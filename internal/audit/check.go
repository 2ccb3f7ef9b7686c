package audit

import (
	"fmt"
	"regexp"
	"sort"
	"sync"
)

// Check is one kind of finding, declared once by the code that looks for
// it. docs/audit.md documents every registered check (a test keeps them
// in step), and SARIF output lists them as rules.
type Check struct {
	// ID names it: a lower-case dotted name, its area first
	// ("github.push-protection-off", "openai.user-owned-key").
	ID string
	// Title says what it finds, in a few words.
	Title    string
	Severity Severity
	Practice Practice
	// What it looks at, Why it matters and how to Fix it, each a sentence
	// or two for docs/audit.md and SARIF's rule help.
	What, Why, Fix string
	// Area groups checks in the docs ("Inventory drift", "OpenAI").
	Area string
}

var checkIDRe = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$`)

var (
	checksMu sync.RWMutex
	checks   = map[string]Check{}
)

// Register declares a check. It is called from init functions; a check
// declared twice or without its texts is a programming error and panics.
func Register(cs ...Check) {
	checksMu.Lock()
	defer checksMu.Unlock()
	for _, c := range cs {
		switch {
		case !checkIDRe.MatchString(c.ID):
			panic(fmt.Sprintf("audit.Register: check ID %q: use area.name in lower case", c.ID))
		case c.Title == "" || c.What == "" || c.Why == "" || c.Fix == "" || c.Practice == "" || c.Area == "":
			panic("audit.Register: check " + c.ID + " needs Title, What, Why, Fix, Practice and Area")
		}
		if _, dup := checks[c.ID]; dup {
			panic("audit.Register: check " + c.ID + " is registered twice")
		}
		checks[c.ID] = c
	}
}

// LookupCheck returns a registered check.
func LookupCheck(id string) (Check, bool) {
	checksMu.RLock()
	defer checksMu.RUnlock()
	c, ok := checks[id]
	return c, ok
}

// Checks returns every registered check, sorted by ID.
func Checks() []Check {
	checksMu.RLock()
	defer checksMu.RUnlock()
	out := make([]Check, 0, len(checks))
	for _, c := range checks {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
