package google

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/textsafe"
)

// What a replacement is called, and how its restrictions are put in words.

var (
	// bareKeyIDRe is a key's ID alone (the last segment of its name).
	bareKeyIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,62}$`)
	// uuidRe is a key's uid.
	uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// incidentSuffixRe is the incident ID an earlier response appended to
	// a display name.
	incidentSuffixRe = regexp.MustCompile(` INC-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$`)
)

// maxDisplayName is the API's limit on a key's display name.
const maxDisplayName = 63

// keyIDSuffixLen is the length of the random end of a replacement's key
// ID: each attempt gets its own ID (a deleted key keeps its ID for 30
// days, so an ID cannot be used twice).
const keyIDSuffixLen = 6

// newKeyID is the ID of a replacement's key: its name (which holds the
// incident ID) in the API's alphabet, and a random end, at most 63
// characters in all, starting with a letter ([a-z]([a-z0-9-]{0,61}[a-z0-9])).
func newKeyID(name string) (string, error) {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	base := strings.Trim(b.String(), "-")
	if limit := 63 - keyIDSuffixLen - 1; len(base) > limit {
		base = base[len(base)-limit:] // the end holds the incident ID
	}
	base = strings.TrimLeft(base, "-0123456789")
	if base == "" {
		base = "respond"
	}
	base = strings.TrimRight(base, "-")
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	r := make([]byte, keyIDSuffixLen)
	if _, err := rand.Read(r); err != nil {
		return "", fmt.Errorf("choosing the replacement's key ID: %w", err)
	}
	for i := range r {
		r[i] = alphabet[int(r[i])%len(alphabet)]
	}
	id := base + "-" + string(r)
	if !newKeyIDRe.MatchString(id) || uuidRe.MatchString(id) {
		return "", fmt.Errorf("google: the replacement's key ID %q is not one the API takes (a bug)", id)
	}
	return id, nil
}

// displayName is a replacement's display name: the leaked key's, with the
// incident ID in place of an earlier one, within the API's 63 characters;
// for a key without one, the replacement's name.
func displayName(old string, r provider.ReplaceRequest) string {
	base := strings.TrimSpace(incidentSuffixRe.ReplaceAllString(old, ""))
	if base == "" {
		n := []rune(r.Name)
		if len(n) > maxDisplayName {
			n = n[len(n)-maxDisplayName:] // keep the incident ID at its end
		}
		return string(n)
	}
	suffix := ""
	if r.Incident != "" {
		suffix = " " + r.Incident
	}
	if b := []rune(base); len(b)+len([]rune(suffix)) > maxDisplayName {
		base = strings.TrimSpace(string(b[:max(0, maxDisplayName-len([]rune(suffix)))]))
	}
	return strings.TrimSpace(base + suffix)
}

// maxListed is how many values of one restriction are named in words.
const maxListed = 3

// listed names at most maxListed values, made safe to show, and how many
// more there are.
func listed(vals []string) string {
	out := make([]string, 0, maxListed)
	for i, v := range vals {
		if i == maxListed {
			break
		}
		out = append(out, textsafe.Line(v))
	}
	s := strings.Join(out, ", ")
	if n := len(vals) - maxListed; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// describeRestrictions puts a key's restrictions in a few words.
func describeRestrictions(r Restrictions) string {
	var parts []string
	switch {
	case r.Browser != nil:
		parts = append(parts, "HTTP referrers "+listed(r.Browser.AllowedReferrers))
	case r.Server != nil:
		parts = append(parts, "IP addresses "+listed(r.Server.AllowedIPs))
	case r.Android != nil:
		var apps []string
		for _, a := range r.Android.AllowedApplications {
			apps = append(apps, a.PackageName)
		}
		parts = append(parts, "Android apps "+listed(apps))
	case r.IOS != nil:
		parts = append(parts, "iOS apps "+listed(r.IOS.AllowedBundleIDs))
	}
	if len(r.APITargets) > 0 {
		var svcs []string
		for _, t := range r.APITargets {
			s := t.Service
			if len(t.Methods) > 0 {
				s += " (" + strings.Join(t.Methods, ", ") + ")"
			}
			svcs = append(svcs, s)
		}
		parts = append(parts, "APIs "+listed(svcs))
	}
	if len(parts) == 0 {
		return "no restrictions"
	}
	return strings.Join(parts, "; ")
}

// permissionsHint says, for the report, how the replacement is limited and
// how to narrow it.
func permissionsHint(r Restrictions) string {
	const where = "APIs & Services → Credentials in the Google Cloud console"
	switch {
	case r.IsZero():
		return "the leaked key had no restrictions, and neither has its replacement: restrict it to the APIs it calls and to " +
			"the application's referrers, IP addresses or apps (" + where + ")"
	case len(r.APITargets) == 0:
		return "the leaked key's restrictions, copied (" + describeRestrictions(r) + "); add API restrictions for the APIs it calls (" + where + ")"
	case r.Browser == nil && r.Server == nil && r.Android == nil && r.IOS == nil:
		return "the leaked key's restrictions, copied (" + describeRestrictions(r) + "); add an application restriction: referrers, IP addresses or apps (" + where + ")"
	}
	return "the leaked key's restrictions, copied (" + describeRestrictions(r) + "); narrow them further if the application allows (" + where + ")"
}

// The report's follow-up on restricting keys, for a key with none.
const (
	allowListTitle = "Restrict where and for which APIs the project's keys work"
	allowListAll   = "Application restrictions (HTTP referrers, IP addresses, Android or iOS apps) and API restrictions make a leaked key useless elsewhere and for other APIs."
)

// adviceFor is the report's advice for a key with these restrictions, when
// it differs from the declared one: a key restricted both by application
// and by API needs no follow-up to restrict it, and one restricted in one
// way only is told the other. ok is false for a key with no restrictions,
// whose advice is the declared one.
func adviceFor(r Restrictions) (a evidence.Advice, ok bool) {
	if r.IsZero() {
		return evidence.Advice{}, false
	}
	a = Spec().Advice
	app := r.Browser != nil || r.Server != nil || r.Android != nil || r.IOS != nil
	switch {
	case app && len(r.APITargets) > 0:
		a.AllowList, a.AllowListTitle = "", ""
	case app:
		a.AllowListTitle = "Restrict the project's keys to the APIs they call"
		a.AllowList = "The leaked key was limited to " + describeRestrictions(r) + " but not to any API; API restrictions make a leaked key useless for other APIs."
	default:
		a.AllowListTitle = "Restrict where the project's keys work"
		a.AllowList = "The leaked key was limited to " + describeRestrictions(r) + " but could be used from anywhere; an application restriction (HTTP referrers, IP addresses, Android or iOS apps) makes a leaked key useless elsewhere."
	}
	return a, true
}
