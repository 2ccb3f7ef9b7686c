// Package googlesim is a fake of Google Cloud's API Keys API v2
// (apikeys.googleapis.com), of the OAuth 2.0 token endpoint that
// Application Default Credentials use, and of one Generative Language API
// call (the check that tells a working key from a dead one), for the
// simulator (internal/sim) to serve under /google/.
//
// It is a simapi.Service, simapi.KeyIssuer and simapi.ErrorWriter; New is
// its simapi.Factory. Everything is deterministic from simapi.Options.Rand
// and Options.Now, except the service account's RSA key, which is made
// when the simulator starts (Env) and never appears in Snapshot.
//
// # What it serves (paths below the prefix)
//
//	GET    /v2/keys:lookupKey?keyString=K            → {parent, name}
//	GET    /v2/projects/P/locations/global/keys      (pageSize, pageToken, showDeleted)
//	POST   /v2/projects/P/locations/global/keys      (keyId) → Operation
//	GET    /v2/projects/P/locations/global/keys/ID
//	GET    /v2/projects/P/locations/global/keys/ID/keyString
//	PATCH  /v2/projects/P/locations/global/keys/ID   (updateMask) → Operation
//	DELETE /v2/projects/P/locations/global/keys/ID   (etag, checkExistingUsage) → Operation
//	POST   /v2/projects/P/locations/global/keys/ID:undelete → Operation
//	GET    /v2/operations/ID                         → Operation
//	POST   /token                                    OAuth 2.0 JWT-bearer grant
//	GET    /v1beta/models?key=K (or x-goog-api-key)  Generative Language check
//
// # Facts it relies on, and where they come from
//
// From the official REST client google.golang.org/api/apikeys/v2
// (apikeys-gen.go, v0.316.0), which is what respond calls:
//   - the paths and verbs above ("v2/{+parent}/keys", "v2/{+name}",
//     "v2/{+name}/keyString", "v2/{+name}:undelete", "v2/keys:lookupKey",
//     "v2/{+name}" for operations), and the query parameters keyId,
//     pageSize, pageToken, showDeleted, etag, updateMask and
//     checkExistingUsage;
//   - V2Key's fields: name "projects/P/locations/global/keys/ID" (location
//     is always global), uid (UUID4), displayName (at most 63 characters),
//     keyString (returned by CreateKey and afterwards only by GetKeyString),
//     createTime, updateTime, deleteTime (empty unless deleted), annotations,
//     restrictions, etag (AIP-154), serviceAccountEmail;
//   - V2Restrictions: browserKeyRestrictions.allowedReferrers,
//     serverKeyRestrictions.allowedIps, androidKeyRestrictions
//     .allowedApplications[{sha1Fingerprint, packageName}],
//     iosKeyRestrictions.allowedBundleIds, apiTargets[{service, methods}];
//     methods may end in the wildcard "*" and match case-insensitively;
//     a SHA-1 fingerprint is accepted with or without colons and is
//     output without them;
//   - keyId must match [a-z]([a-z0-9-]{0,61}[a-z0-9])? and not look like a
//     UUID; without it the key's ID is its uid;
//   - Create, Delete, Patch and Undelete answer a long-running Operation
//     ({name, done, response|error}); a deleted key can be undeleted for 30
//     days, then it is purged; lookupKey of a purged key answers its parent
//     without a name;
//   - checkExistingUsage=CHECK refuses with FAILED_PRECONDITION a key used
//     in the last 7 days.
//
// From Google's API design guide (cloud.google.com/apis/design/errors) and
// AIP-154: errors are {"error": {"code", "message", "status", "details"}}
// with google.rpc status names; a stale etag is ABORTED (409); a duplicate
// ID is ALREADY_EXISTS (409). Key names in answers use the project number
// even when the request named the project by ID (as `gcloud services
// api-keys list` shows them); etags look like W/"base64==".
//
// From the Generative Language API as clients see it: an unknown or
// deleted key answers 400 INVALID_ARGUMENT "API key not valid. Please pass
// a valid API key." with a google.rpc.ErrorInfo of reason API_KEY_INVALID
// and domain googleapis.com; a key whose restrictions forbid the call
// answers 403 PERMISSION_DENIED with reason API_KEY_SERVICE_BLOCKED,
// API_KEY_HTTP_REFERRER_BLOCKED, API_KEY_IP_ADDRESS_BLOCKED,
// API_KEY_ANDROID_APP_BLOCKED or API_KEY_IOS_APP_BLOCKED. The key travels
// as ?key= or in the x-goog-api-key header; Android callers name
// themselves with X-Android-Package and X-Android-Cert, iOS callers with
// X-Ios-Bundle-Identifier, browsers with Referer.
//
// From golang.org/x/oauth2 and cloud.google.com/go/auth (service-account
// credentials): the client signs an RS256 JWT (iss = client_email, aud =
// token_uri, scope) and posts it as grant_type
// urn:ietf:params:oauth:grant-type:jwt-bearer to the file's token_uri,
// expecting {access_token, expires_in, token_type}.
//
// # Not confirmed (chosen, and named here so a later reading can correct it)
//
//   - lookupKey of a string that is no key: 404 NOT_FOUND.
//   - The exact wording of NOT_FOUND and PERMISSION_DENIED messages; a
//     project the caller may not use answers 403 "Permission '…' denied on
//     resource '…' (or it may not exist)." with an ErrorInfo of reason
//     IAM_PERMISSION_DENIED (the common Google IAM answer), whether or not
//     the key exists.
//   - Deleting an already deleted key, undeleting a live one and patching a
//     deleted one answer 400 FAILED_PRECONDITION.
//   - A key is visible (Get, List, lookupKey) as soon as CreateKey answers;
//     its operation reports done after Config.OperationDelay.
//   - In the check, API targets are tested before application restrictions.
//   - The 403 for an unregistered caller (no key) carries no ErrorInfo.
//
// # Not simulated
//
// Fields masks (?fields=) are ignored, serviceAccountEmail is kept but
// binds nothing, locations other than global are refused, projects exist
// once seeded (IssueKey's scope, AddProject; DefaultProject always) and any
// other answers 403 as a project the caller may not see, and IAM is one
// switch per project (DenyProject). Quotas, billing and the Generative Language API beyond
// listing models are not simulated.
package googlesim
