// Package anthropicsim is a fake of Anthropic's Admin API for API keys
// and of the one Claude API call that tells a working key from a dead one,
// for the simulator (internal/sim) to serve under /anthropic/.
//
// It is a simapi.Service, simapi.KeyIssuer and simapi.ErrorWriter; New is
// its simapi.Factory. It is deterministic from simapi.Options.Rand and
// Options.Now.
//
// # What it serves (paths below the prefix)
//
//	GET  /v1/organizations/api_keys        (limit, before_id, after_id, status, workspace_id, created_by_user_id)
//	GET  /v1/organizations/api_keys/ID
//	POST /v1/organizations/api_keys/ID     {"name"?, "status"?: active|inactive|archived}
//	GET  /v1/models                        with an API key: the key check
//	POST /_console/keys                    {"name", "workspace_id"?}: NOT Anthropic's API
//
// Anthropic's API has no way to create or delete a key: a person makes one
// in the Console. The fake's stand-in for that person is ConsoleCreateKey
// (Go) and POST /_console/keys (HTTP), a control route named so that no
// one takes it for part of the API. Every other path and method answers
// 404 not_found_error, as the API does for a route it does not have.
//
// # Facts it relies on, and where they come from
//
// From the official Go SDK github.com/anthropics/anthropic-sdk-go/v2
// (v2.17.0: organizationapikey.go, packages/pagination, internal/apierror,
// internal/requestconfig), which covers the Admin API's keys:
//   - the three routes above and their parameters; limit is 1 to 1000,
//     default 20; pages are {data, has_more, first_id, last_id}, and the
//     SDK's auto-pager asks for after_id = last_id (before_id = first_id
//     when paging backwards) while has_more is true;
//   - the key object: type "api_key", id, name, status (active, inactive,
//     archived, expired), created_at and expires_at (RFC 3339, expires_at
//     null when the key never expires), created_by {id, type: user |
//     service_account} (null when not recorded), partial_key_hint,
//     principal (a user or service account the key acts as, or null) and
//     scope ({"type": "workspace", "workspace_id"} with the workspace's real
//     ID even for the default workspace);
//   - the update body {name?, status?: active | inactive | archived};
//   - errors are {"type": "error", "error": {"type", "message"}} with a
//     request-id header; retries honour retry-after(-ms);
//   - SDK v2 sends anthropic-version: 2026-10-21 and the key as
//     Authorization: Bearer; the API's documentation (platform.claude.com
//     /docs/en/api/versioning, /migration-2026-10-21) has 2023-06-01 and
//     2026-10-21 as versions and curl examples with x-api-key. The fake
//     takes the key from either header and either version.
//
// From the API reference and API-NOTES (docs/…/API-NOTES.md, "Anthropic
// equivalent"): admin keys are sk-ant-admin01-…, API keys sk-ant-api03- +
// 93 of [A-Za-z0-9_-] + "AA", hints look like "sk-ant-api03-R2D...igAA";
// the deprecated workspace_id field is null for the default workspace; an
// archived key cannot be changed again; GitHub's secret types are
// anthropic_api_key and anthropic_admin_api_key; a dead key answers 401
// authentication_error "invalid x-api-key"; a request without
// anthropic-version answers 400 invalid_request_error
// "anthropic-version: header is required".
//
// # Not confirmed (chosen, and named here so a later reading can correct it)
//
//   - An API key (not an admin key) on an admin route, and an admin key on
//     /v1/models: 401 authentication_error "invalid x-api-key".
//   - An unknown key ID: 404 not_found_error; an unknown after_id or
//     before_id: 400 invalid_request_error; an update of an archived key:
//     400 invalid_request_error.
//   - Keys are listed newest first.
//   - An unknown anthropic-version value: 400 invalid_request_error.
//
// # Not simulated
//
// Workspaces, users and service accounts exist only as IDs on keys;
// principal is always null; usage and cost reports, rate limits and the
// Messages API are not simulated.
package anthropicsim
