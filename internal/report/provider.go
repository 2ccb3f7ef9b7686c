package report

// providerAdvice is what the report's words and follow-ups need to know of
// a key's provider: where a person revokes a key by hand, and which of the
// hygiene follow-ups apply. The facts of the incident come from typed
// evidence whatever the provider; only this advice is per provider.
type providerAdvice struct {
	Title string
	// Console is where a person revokes a key by hand.
	Console string
	// SpendControls: the provider has per-scope spend limits and alerts
	// (OpenAI projects), read by the usage step.
	SpendControls bool
	// AllowList says how to make a leaked key useless from elsewhere.
	AllowList string
	// Review says where to review the use of a key.
	Review string
}

var providers = map[string]providerAdvice{
	"openai": {
		Title: "OpenAI", Console: "on the OpenAI dashboard (API keys)", SpendControls: true,
		AllowList: "With an IP allow-list on the organization or project, a leaked key is useless from anywhere else.",
		Review:    "Check the project's usage and costs pages for the window, the models used and any charges to dispute with OpenAI support.",
	},
	"aws": {
		Title: "AWS", Console: "in the IAM console (Users, Security credentials) or with `aws iam update-access-key --status Inactive`",
		AllowList: "An IAM policy condition on aws:SourceIp or aws:SourceVpc (or a service control policy) makes a leaked key useless from anywhere else.",
		Review:    "Review the CloudTrail events of the key for the window (aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,…), what they touched and the bill; open a case with AWS Support for charges to dispute.",
	},
}

// adviceFor returns the advice for a provider, OpenAI's when unknown (the
// only provider of journals written before providers had names).
func adviceFor(name string) providerAdvice {
	if a, ok := providers[name]; ok {
		return a
	}
	return providers["openai"]
}

// providerTitle names a provider for people.
func providerTitle(name string) string {
	if a, ok := providers[name]; ok {
		return a.Title
	}
	if name == "" {
		return "OpenAI"
	}
	return name
}

// advice is the advice for the incident's key.
func (r *Report) advice() providerAdvice {
	if r.Key != nil {
		return adviceFor(r.Key.Provider)
	}
	return adviceFor("")
}
