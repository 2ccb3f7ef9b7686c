package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// What an incident's journal says about its replacements and where they
// went: the latest write to each place (deploy's evidence), who holds
// which replacement, and reading one back. Make before break rests on it:
// an earlier replacement that a place holds stays live until the new one
// is everywhere (key.replace keeps it, key.discard deletes it), and a
// resume reads it back where it can instead of making another.

// latestWrites returns, by target ID, the latest write of each place the
// incident wrote (in journal order, later runs last).
func latestWrites(c *step.Call) map[string]evidence.Written {
	out := map[string]evidence.Written{}
	for _, r := range c.Recorded() {
		if evidence.TypeOf(r.Evidence) != evidence.TargetWritten {
			continue
		}
		var w evidence.Written
		if evidence.Decode(r.Evidence, &w) && w.Target != "" {
			out[w.Target] = w
		}
	}
	return out
}

// holdersOf lists the places whose latest write is the credential of
// fingerprint fp, sorted by target ID.
func holdersOf(c *step.Call, fp string) []evidence.Written {
	if fp == "" {
		return nil
	}
	var out []evidence.Written
	for _, w := range latestWrites(c) {
		if w.ValueFingerprint == fp {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Target < out[j].Target })
	return out
}

// placeNames names up to three places and how many more.
func placeNames(ws []evidence.Written) string {
	var names []string
	for i, w := range ws {
		if i == 3 {
			names = append(names, fmt.Sprintf("%d more", len(ws)-3))
			break
		}
		names = append(names, w.Target)
	}
	return strings.Join(names, ", ")
}

// previousReplacement reads what an earlier apply of key.replace made.
func previousReplacement(c *step.Call) (evidence.Created, bool) {
	if c.Previous == nil {
		return evidence.Created{}, false
	}
	var prev evidence.Created
	if !evidence.Decode(c.Previous.Evidence, &prev) {
		return evidence.Created{}, false
	}
	prev.Normalize()
	return prev, true
}

// splitPrevious decides, for a replacement an earlier run made and whose
// value was not kept, whether it is a leftover no place holds (deleted
// before the new one is made) or is kept live with the earlier ones it
// superseded (discarded only once the new one is everywhere).
func splitPrevious(c *step.Call, prev evidence.Created) (leftover *evidence.Created, keep []evidence.Created) {
	keep = append(keep, prev.Superseded...)
	own := prev
	own.Superseded = nil
	if len(holdersOf(c, prev.Fingerprint)) > 0 || openWriteSince(c, prev) {
		keep = append(keep, own)
		return nil, keep
	}
	return &own, keep
}

// openWriteSince reports whether a deploy attempt that started after prev
// was created never recorded its end: the process died in it, and the
// place may hold prev though the journal cannot say so.
func openWriteSince(c *step.Call, prev evidence.Created) bool {
	created := -1
	for _, r := range c.Recorded() {
		if evidence.TypeOf(r.Evidence) != evidence.KeyCreated {
			continue
		}
		var cr evidence.Created
		if evidence.Decode(r.Evidence, &cr) && cr.KeyID == prev.KeyID && cr.Principal.ID == prev.Principal.ID {
			created = r.Seq
		}
	}
	if created < 0 {
		return false
	}
	for _, r := range c.Recorded() {
		if r.Open && r.Kind == deployKind && r.Seq > created {
			return true
		}
	}
	return false
}

// recoverReplacement reads the earlier replacement back from a place that
// holds it: a target whose writer can read (a .env file, a secret store),
// whose value has the fingerprint the journal recorded, and that still
// works. why says why it could not when ok is false.
func recoverReplacement(ctx context.Context, c *step.Call, writers *target.Set, p keyProvider, prev evidence.Created) (secret.Credential, evidence.Written, bool, string) {
	holders := holdersOf(c, prev.Fingerprint)
	if len(holders) == 0 {
		return secret.Credential{}, evidence.Written{}, false, "no target holds it"
	}
	secretPart, ok := onlySecretPart(p.spec)
	if !ok {
		return secret.Credential{}, evidence.Written{}, false, p.spec.Title + " keys have several secret parts"
	}
	var reasons []string
	for _, h := range holders {
		if len(h.Place) == 0 || !containsPart(h, secretPart) {
			continue
		}
		t, err := target.FromMap(h.Place)
		if err != nil {
			continue
		}
		spec, w, err := writers.Writer(t.Type)
		if err != nil {
			continue
		}
		rd, ok := w.(target.Reader)
		if !ok {
			reasons = append(reasons, spec.Title+"s cannot be read back")
			continue
		}
		v, err := rd.Read(ctx, t, secretPart)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("reading %s: %v", h.Target, err))
			continue
		}
		registry(c).Add(v)
		if v.Fingerprint() != prev.Fingerprint {
			reasons = append(reasons, h.Target+" holds another value now")
			continue
		}
		cred := rebuildCredential(p.spec, prev, secretPart, v)
		registerCredential(c, cred)
		check, err := p.Check(ctx, cred)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("checking the value %s holds: %v", h.Target, err))
			continue
		}
		if check.State != provider.KeyLive {
			reasons = append(reasons, fmt.Sprintf("the value %s holds no longer works (%s)", h.Target, check.State))
			continue
		}
		return cred, h, true, ""
	}
	if len(reasons) == 0 {
		return secret.Credential{}, evidence.Written{}, false, "the places that hold it (" + placeNames(holders) + ") are not recorded in a form respond can read back"
	}
	return secret.Credential{}, evidence.Written{}, false, dedupe(reasons)
}

// onlySecretPart is the name of a provider's one secret part.
func onlySecretPart(s *provider.Spec) (string, bool) {
	if len(s.Parts) == 0 {
		return "key", true
	}
	name := ""
	for _, p := range s.Parts {
		if p.Secret {
			if name != "" {
				return "", false
			}
			name = p.Name
		}
	}
	return name, name != ""
}

func containsPart(w evidence.Written, part string) bool {
	if len(w.Parts) == 0 {
		return true
	}
	for _, p := range w.Parts {
		if p == part || p == "value" {
			return true
		}
	}
	return false
}

// rebuildCredential puts a replacement back together: its identifiers
// from the journal, its secret part as read.
func rebuildCredential(s *provider.Spec, prev evidence.Created, secretPart string, v secret.Value) secret.Credential {
	if len(s.Parts) == 0 {
		return secret.NewCredential(s.Name, secret.SecretPart(secretPart, v))
	}
	parts := make([]secret.Part, 0, len(s.Parts))
	for _, p := range s.Parts {
		if p.Secret {
			parts = append(parts, secret.SecretPart(p.Name, v))
			continue
		}
		parts = append(parts, secret.PlainPart(p.Name, prev.Parts[p.Name]))
	}
	return secret.NewCredential(s.Name, parts...)
}

func dedupe(reasons []string) string {
	seen := map[string]bool{}
	var out []string
	for _, r := range reasons {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}
