package provider

import (
	"fmt"
	"regexp"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/step"
)

// Spec is what a provider declares about itself, as data: the core reads
// it instead of knowing the provider.
type Spec struct {
	// Name is the provider's name in inventories, playbooks and journals
	// ("openai"): lower case letters, digits and '-'.
	Name string
	// Title names it for people ("OpenAI").
	Title string
	// KeyNoun is what its keys are called ("API key", "access key",
	// "token"), after the title: "OpenAI API key".
	KeyNoun string
	// Summary is one line for the docs' table: what kind of keys.
	Summary string

	// Scope says where its keys live and how an inventory names it.
	Scope ScopeSpec
	// KeyID says what its key IDs look like. A provider whose keys have
	// no ID (GitHub tokens) leaves Pattern nil.
	KeyID IDSpec
	// KeyNames: keys have names an inventory may give as key_name.
	KeyNames bool
	// Parts are the parts of its credentials, the main secret part (what a
	// target gets without `part:`) last. One part for most providers.
	Parts []Part
	// Paste recognizes a value a person pasted or piped for --key-stdin
	// (a .env line, a credentials file, the key alone) as one of its
	// keys. ok false: not this provider's. err: this provider's, but
	// incomplete or malformed (say what to paste; never quote the input).
	Paste func(raw string) (p Pasted, ok bool, err error)
	// MakeCredential, when set, makes a credential of the provider from a
	// value (pasted, or read from an alert) and the key ID that goes with
	// it; nil: the value is the main secret part (see Credential).
	MakeCredential func(v secret.Value, keyID string) (secret.Credential, error)
	// Redact, when set, is how the provider shows a key's value redacted
	// (OpenAI's redacted_value), so that a key known only by its value
	// reads as the provider lists it; nil: the value's own redacted form.
	Redact func(secret.Value) string
	// AlertTypes are the GitHub secret-scanning secret types of its keys
	// (openai_api_key).
	AlertTypes []string
	// SecretNames matches the names people give the places that hold its
	// keys (OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY), case-insensitively:
	// `respond audit` reports GitHub secrets so named that no inventory
	// credential lists. nil: none.
	SecretNames *regexp.Regexp
	// Env are the environment variables it reads its configuration from.
	Env []EnvVar
	// Configured reports whether the environment configures it (so the
	// picker offers it); nil: any variable of Env set.
	Configured func(getenv func(string) string) bool
	// NotConfigured says what to set when a response needs it and it is
	// not configured (one sentence).
	NotConfigured string

	// Caps are what it can do.
	Caps Capabilities
	// Verify says, for plans, how a key is checked ("GET /v1/models") and
	// what dead and live look like ("401 invalid_api_key", "200").
	Verify VerifySpec
	// Advice is its guidance for the report: where to revoke by hand,
	// where to review use, how to allow-list.
	Advice evidence.Advice
	// SelfRevokes, when set, says that the provider may disable a leaked
	// key itself, and when ("OpenAI disables keys it finds in public
	// code"): the words used when a key is found already dead.
	SelfRevokes string
	// StepAliases are older step kind names bound to this provider
	// ("openai.identify_key"), each standing for a generic key.* kind with
	// parameters and outputs renamed, so that playbooks written before the
	// generic kinds keep validating and running unchanged.
	StepAliases map[string]StepAlias

	// Legacy marks the provider that playbooks and journals written before
	// respond named providers meant (OpenAI was then the only one): a
	// call that names no provider, and a journal that records none, are
	// its. At most one provider is Legacy.
	Legacy bool

	// Docs is the provider's docs page (docs/providers/NAME.md).
	Docs string

	// Fake builds the simulated API its tests and drills use, served by
	// the simulator under its own prefix; nil when its keys are served by
	// the simulator's own halves (OpenAI, GitHub) or tested elsewhere
	// (AWS, against moto).
	Fake simapi.Factory
	// FakeElsewhere, when its keys are not the simulator's, says where its
	// conformance suite runs instead ("moto, in its package's tests").
	FakeElsewhere string

	// New builds the provider from the plug-in environment. It must not
	// fail or make requests: clients are built when first used, and a
	// missing configuration is an error of the call that needs it.
	New func(env *plugin.Env) Provider
}

// StepAlias is a step kind bound to one provider: a generic kind with
// some parameters and outputs under other names.
type StepAlias struct {
	// Kind is the generic kind it stands for ("key.identify").
	Kind string
	// Params maps an alias parameter to the generic one it feeds
	// ("project": "scope").
	Params map[string]string
	// Outputs maps an alias output to the generic output it copies.
	Outputs map[string]string
	// Extra declares outputs the generic kind does not have, and Fill
	// computes them from the generic outputs.
	Extra []step.Output
	Fill  func(out map[string]any)
}

// ScopeSpec says where a provider's keys live.
type ScopeSpec struct {
	// Kind names it for people: "project", "account", "workspace".
	Kind string
	// Field is the inventory credential's field that holds it
	// ("project", "account"): the same name for every provider with the
	// same kind of scope.
	Field string
	// Required: a credential must give it (OpenAI's project); otherwise
	// the provider finds it (the AWS account of respond's credentials).
	Required bool
	// Example is a valid value for help and hints ("proj_abc123").
	Example string
	// Check validates a value; its error is the message (say what a valid
	// one looks like). nil: any one path segment.
	Check func(string) error
	// Warn, when set, returns a warning for a value that may be wrong
	// ("proj_abc does not look like …"), or "".
	Warn func(string) string
}

// IDSpec says what a provider's key IDs look like.
type IDSpec struct {
	// Pattern matches its key IDs (key_…, AKIA…). nil: keys have no ID a
	// person would give.
	Pattern *regexp.Regexp
	// Example is one for help ("key_abc123").
	Example string
	// Shape describes them in a few words ("key_…", "AKIA and 16 letters
	// or digits").
	Shape string
}

// Owns reports whether id has the provider's shape of key ID.
func (s IDSpec) Owns(id string) bool { return s.Pattern != nil && s.Pattern.MatchString(id) }

// Part is one part of a provider's credentials.
type Part struct {
	Name   string // "key", "access_key_id"
	Secret bool   // a secret part (never shown); false: an identifier
	Doc    string // one line for the docs
}

// Pasted is a key recognized in pasted text.
type Pasted struct {
	// Credential is the key with every part (an AWS pair).
	Credential secret.Credential
	// KeyID is the key's ID when the pasted text holds it (an AWS access
	// key ID), else "".
	KeyID string
}

// EnvVar is an environment variable a provider reads.
type EnvVar struct {
	Name string
	// Secret: it holds a secret. It is masked in every output and never
	// reaches a child process's environment.
	Secret bool
	// Credential: it is part of respond's credentials (an access key's
	// ID): not a secret, but never passed to a child process either.
	Credential bool
	// Unread: respond does not read it; it is declared so that its value
	// is masked and kept from child processes (OPENAI_API_KEY).
	Unread bool
	Doc    string // one line: what it holds
}

// VerifySpec words how a provider checks a key, for plans and reports.
type VerifySpec struct {
	Method string // "GET /v1/models", "sts:GetCallerIdentity"
	Dead   string // what dead looks like: "401 invalid_api_key"
	Live   string // what live looks like: "200"
}

// ReplaceBy is how a replacement comes to exist.
type ReplaceBy string

const (
	// ByAPI: respond creates the replacement through the provider's API.
	ByAPI ReplaceBy = "api"
	// ByPerson: a person creates it in the provider's console and pastes
	// it (a hidden prompt, or --replacement-stdin).
	ByPerson ReplaceBy = "person"
)

// ContainBy is how a key is contained.
type ContainBy string

const (
	// Delete: the key is deleted (or revoked) at once, for good.
	Delete ContainBy = "delete"
	// Deactivate: the key is deactivated at once (reversible, keeping its
	// evidence) and deleted by key.retire once recovery is verified.
	Deactivate ContainBy = "deactivate, delete after verification"
)

// Capabilities are what a provider can do; the plan, preflight and report
// read them instead of the provider's name.
type Capabilities struct {
	Replace ReplaceBy
	Contain ContainBy
	// Undo, when set, says how long and how a contained key can be
	// brought back ("undeletable for 30 days"): plans say so.
	Undo string
	// VerifyByAPI: a key's value can be checked against the provider.
	VerifyByAPI bool
	// Usage: the provider counts a key's use (requests).
	Usage bool
	// UsageTokens: its usage counts tokens too, not only requests.
	UsageTokens bool
	// LastUsed: the provider knows when a key was last used; without it,
	// "unknown" is not "never".
	LastUsed bool
	// SpendControls: the provider has spend limits and alerts per scope.
	SpendControls bool
	// RetireVerb is what retiring a deactivated key does ("archive": the
	// API cannot delete keys); empty is "delete".
	RetireVerb string
	// Unlisted: the provider's API cannot list keys (GitHub has none for a
	// user's tokens): the key picker does not offer it, and a person gives
	// the key's value or the alert that found it.
	Unlisted bool
}

// Retire is the verb of retiring a deactivated key: RetireVerb, else
// "delete".
func (c Capabilities) Retire() string {
	if c.RetireVerb != "" {
		return c.RetireVerb
	}
	return "delete"
}

// nameRe is what a provider's name may be.
var nameRe = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// validate checks a Spec before it is registered.
func (s *Spec) validate() error {
	switch {
	case !nameRe.MatchString(s.Name):
		return fmt.Errorf("provider name %q: use lower case letters, digits and -", s.Name)
	case s.Title == "":
		return fmt.Errorf("provider %s has no Title", s.Name)
	case s.New == nil:
		return fmt.Errorf("provider %s has no New", s.Name)
	case s.Scope.Kind == "" || s.Scope.Field == "":
		return fmt.Errorf("provider %s: Scope needs Kind and Field", s.Name)
	case len(s.Parts) == 0 || !s.Parts[len(s.Parts)-1].Secret:
		return fmt.Errorf("provider %s: Parts must end with its main secret part", s.Name)
	case s.Caps.Replace != ByAPI && s.Caps.Replace != ByPerson:
		return fmt.Errorf("provider %s: Caps.Replace must be ByAPI or ByPerson", s.Name)
	case s.Caps.Contain != Delete && s.Caps.Contain != Deactivate:
		return fmt.Errorf("provider %s: Caps.Contain must be Delete or Deactivate", s.Name)
	}
	return nil
}

// MainPart is the name of the main secret part.
func (s *Spec) MainPart() string { return s.Parts[len(s.Parts)-1].Name }

// PartNames lists the parts' names, in order.
func (s *Spec) PartNames() []string {
	out := make([]string, len(s.Parts))
	for i, p := range s.Parts {
		out[i] = p.Name
	}
	return out
}

// KeyTitle names a key of the provider: "OpenAI API key".
func (s *Spec) KeyTitle() string {
	if s.KeyNoun == "" {
		return s.Title + " key"
	}
	return s.Title + " " + s.KeyNoun
}

// IsConfigured reports whether getenv configures the provider.
func (s *Spec) IsConfigured(getenv func(string) string) bool {
	if s.Configured != nil {
		return s.Configured(getenv)
	}
	for _, v := range s.Env {
		if getenv(v.Name) != "" {
			return true
		}
	}
	return false
}

// Credential makes a credential of the provider from a value and, for a
// credential of several parts, the identifier that goes with it (an AWS
// key's ID): a one-part provider's value is its main part; a value of
// several parts pasted together is split by Paste.
func (s *Spec) Credential(v secret.Value, keyID string) (secret.Credential, error) {
	if s.MakeCredential != nil {
		return s.MakeCredential(v, keyID)
	}
	if len(s.Parts) == 1 {
		return secret.NewCredential(s.Name, secret.SecretPart(s.MainPart(), v)), nil
	}
	if s.Paste != nil {
		if p, ok, err := s.Paste(v.Reveal()); err != nil {
			return secret.Credential{}, err
		} else if ok {
			return p.Credential, nil
		}
	}
	if keyID != "" && len(s.Parts) == 2 && !s.Parts[0].Secret {
		return secret.NewCredential(s.Name, secret.PlainPart(s.Parts[0].Name, keyID), secret.SecretPart(s.MainPart(), v)), nil
	}
	return secret.Credential{}, fmt.Errorf("a %s is %s: give every part", s.KeyTitle(), joinParts(s.PartNames()))
}

func joinParts(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := names[0]
	for _, n := range names[1 : len(names)-1] {
		out += ", " + n
	}
	return out + " and " + names[len(names)-1]
}
