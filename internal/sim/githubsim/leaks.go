package githubsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// A leak is a secret pushed to a repository, as secret scanning sees it:
// a new commit puts the secret at a path and line. GitHub keeps one alert
// per secret and repository: a secret that already has an open alert
// there gets a new location on it (secret_scanning_alert_location
// created); otherwise a new alert opens (secret_scanning_alert created).
// A secret pushed to a public repository is publicly leaked: its alert
// there, and every open alert on the same secret elsewhere, is marked
// publicly_leaked and fires secret_scanning_alert publicly_leaked (once
// per alert).

// Leak is a secret to plant (PlantSecret).
type Leak struct {
	// Owner and Repo name the repository it is pushed to.
	Owner, Repo string
	// SecretType is its secret-scanning type ("openai_api_key").
	SecretType string
	// Secret is the value. Never log it.
	Secret string
	// Path and Line are where the commit puts it. Default: .env, line 1.
	Path string
	Line int
	// Pusher is the login of who pushed it (the events' sender; created
	// if needed). Default: the repository's owner.
	Pusher string
	// At is when it was pushed (the alert's created_at or updated_at).
	// Default: now.
	At time.Time
}

// LeakResult is the alert a leak opened or added to.
type LeakResult struct {
	Number int `json:"number"`
	// NewAlert is true when the leak opened the alert, false when it
	// added a location to an open one.
	NewAlert bool     `json:"new_alert"`
	Location Location `json:"location"`
	// PubliclyLeaked is the alert's publicly_leaked.
	PubliclyLeaked bool   `json:"publicly_leaked"`
	Validity       string `json:"validity"`
	// URL and HTMLURL are the alert's url and html_url.
	URL     string `json:"url"`
	HTMLURL string `json:"html_url"`
}

// PlantSecret pushes a secret to a repository and opens or extends its
// alert, firing the events (see the top of this file). An unknown
// repository is ErrNotFound.
func (s *Server) PlantSecret(l Leak) (LeakResult, error) {
	if l.Secret == "" || l.SecretType == "" {
		return LeakResult{}, fmt.Errorf("plant a secret: give the secret and its secret type")
	}
	at := l.At
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	if l.Path == "" {
		l.Path = ".env"
	}
	if l.Line <= 0 {
		l.Line = 1
	}
	validity := s.checkValidity(l.SecretType, l.Secret, s.now())

	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.w.repo(l.Owner, l.Repo)
	if rp == nil {
		return LeakResult{}, fmt.Errorf("plant a secret: repository %s/%s does not exist: %w", l.Owner, l.Repo, ErrNotFound)
	}
	var pusher *account
	if l.Pusher != "" {
		pusher = s.w.accountFor(l.Pusher)
	}
	s.w.nextCommit++
	seed := fmt.Sprintf("%s/%d/%s", rp.fullName(), s.w.nextCommit, l.Path)
	loc := Location{Path: l.Path, StartLine: l.Line, EndLine: l.Line, StartColumn: 1, EndColumn: 1 + len(l.Secret),
		BlobSHA: fakeSHA("blob:" + seed), CommitSHA: fakeSHA("commit:" + seed)}

	var a *alert
	for _, x := range rp.alerts {
		if x.state == "open" && x.secretType == l.SecretType && x.secret == l.Secret {
			a = x
			break
		}
	}
	res := LeakResult{Location: loc}
	if a != nil {
		a.locations = append(a.locations, loc)
		a.updated = at
		s.setValidity(rp, a, validity, at)
		s.emitLocation(rp, a, loc, pusher)
	} else {
		a = &alert{number: len(rp.alerts) + 1, secretType: l.SecretType, secret: l.Secret, created: at, updated: at,
			state: "open", validity: validity, locations: []Location{loc}}
		rp.alerts = append(rp.alerts, a)
		res.NewAlert = true
		s.emitAlert(rp, a, "created", pusher)
	}
	if !rp.private {
		for _, other := range sortedValues(s.w.repos) {
			for _, x := range other.alerts {
				if x.publiclyLeaked || x.secretType != l.SecretType || x.secret != l.Secret || x != a && x.state != "open" {
					continue
				}
				x.publiclyLeaked = true
				x.updated = at
				s.emitAlert(other, x, "publicly_leaked", pusher)
			}
		}
	}
	c := s.eventCall(nil)
	m := c.alertJSON(rp, a, true, false)
	res.Number, res.PubliclyLeaked, res.Validity = a.number, a.publiclyLeaked, a.effectiveValidity()
	res.URL, _ = m["url"].(string)
	res.HTMLURL, _ = m["html_url"].(string)
	return res, nil
}

// fakeSHA is a 40-hex-digit name for a planted commit or blob.
func fakeSHA(seed string) string {
	sum := sha256.Sum256([]byte("respond-sim/leak/" + seed))
	return hex.EncodeToString(sum[:])[:40]
}
