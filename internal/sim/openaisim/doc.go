// Package openaisim is the OpenAI half of respond's simulator: an
// in-process fake of the parts of the OpenAI API that respond uses, faithful
// enough that openai-go, curl and respond cannot tell it from the real
// service. Response shapes follow the official OpenAPI subset
// (internal/sim/spec); behaviour the spec leaves open follows
// docs/API-NOTES.md, and where both are silent the choice is written down
// next to the code that makes it.
//
// Served under /v1:
//
//	GET    /models                                          live project/service-account key
//	POST   /chat/completions, /responses, /embeddings      live project/service-account key: a deterministic answer (inference.go)
//	GET    /organization/projects[/{id}]                    list (limit, after, include_archived), get
//	GET    /organization/projects/{p}/api_keys[/{id}]       list (limit, after, owner_project_access), get
//	DELETE /organization/projects/{p}/api_keys/{id}         user key: 200; service-account key: 400
//	GET    /organization/projects/{p}/service_accounts      list
//	POST   /organization/projects/{p}/service_accounts      create (returns the key value once)
//	GET|POST|DELETE …/service_accounts/{id}                 get, update (name, role), delete (revokes its keys)
//	POST   …/service_accounts/{id}/api_keys                 new key for the account (value once)
//	GET    /organization/admin_api_keys[/{id}]              list (order, limit, after), get
//	POST   /organization/admin_api_keys                     create (value once)
//	DELETE /organization/admin_api_keys/{id}
//	GET    /organization/projects/{p}/spend_limit           hard spend limit (404 when none is set)
//	GET    /organization/projects/{p}/spend_alerts          list (limit, after, order)
//	GET    /organization/usage/completions                  buckets, filters, group_by, page cursor
//	GET    /organization/costs                              1d buckets, group_by project_id/line_item/api_key_id
//	GET    /organization/audit_logs                         filters, after/before
//
// Anything else under /v1 answers 404 "Invalid URL (METHOD PATH)", as
// OpenAI does. Authentication rules are on Server.authenticate's comment
// (see server.go); in short, a dead key gets 401 invalid_api_key
// everywhere, a restricted key 401 with code null on /v1/models, and a
// project key 403 on the Admin API.
//
// Lifecycle choices:
//   - Deleted and revoked keys, and deleted service accounts, disappear from
//     the API (lists omit them; GET and DELETE answer 404) but stay in
//     Snapshot with their status, reason and time.
//   - Lists are ordered by creation time, then ID; admin keys honour
//     order=desc; audit logs are newest first. An after cursor naming an
//     object that has since been deleted still works; one naming an object
//     that never was in the list is a 400.
//   - Audit events: api_key.created and api_key.deleted for project keys,
//     service_account.created, .updated and .deleted; deleting a service
//     account also records api_key.deleted for each of its keys. Admin key
//     changes and provider revocations are not audited.
//
// Seeding methods (AddProject, AddUser, AddUserKey, AddServiceAccount,
// AddAdminKey, AddUsage, RevokeKey, SetRestricted, …) take explicit
// timestamps and draw every ID and key value from Options.Rand, so a seeded
// reader reproduces the same world, byte for byte, in Snapshot.
package openaisim
