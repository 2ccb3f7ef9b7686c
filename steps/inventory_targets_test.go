package steps

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/step"
)

const fpLive = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func invCreds() []any {
	cred := func(name, project, idField, id string, extra map[string]any, targets ...map[string]any) map[string]any {
		m := map[string]any{"name": name, "provider": "openai", "project": project, idField: id}
		for k, v := range extra {
			m[k] = v
		}
		ts := []any{}
		for _, t := range targets {
			ts = append(ts, t)
		}
		m["targets"] = ts
		return m
	}
	return []any{
		cred("prod", "proj_a", "key_id", "key_live", map[string]any{"fingerprint": fpLive},
			map[string]any{"type": "github-actions", "repo": "acme/api", "secret": "K"},
			map[string]any{"type": "github-workflow", "repo": "acme/api", "workflow": "deploy.yml", "ref": "main"}),
		cred("staging", "proj_a", "key_name", "staging key", nil,
			map[string]any{"type": "dotenv", "path": "/srv/staging/.env", "var": "K"}),
		cred("web", "proj_b", "key_id", "key_web", nil,
			map[string]any{"type": "github-actions", "org": "initech", "secret": "K"}),
		cred("empty", "proj_c", "key_id", "key_empty", nil),
	}
}

type chooser struct {
	answer  int
	err     error
	options []string
}

func (c *chooser) Approve(context.Context, string) (step.Approval, error) {
	return step.Approval{Approved: true}, nil
}
func (c *chooser) Choose(_ context.Context, _ string, options []string) (int, error) {
	c.options = options
	return c.answer, c.err
}

func TestInventoryTargetsFindsTheCredential(t *testing.T) {
	k := InventoryTargets{}
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   string // credential, "" for no match
		by     string
	}{
		{"by key_id", map[string]any{"key_id": "key_live", "project": "proj_a"}, "prod", "key_id"},
		{"by key_id in another project", map[string]any{"key_id": "key_live", "project": "proj_z"}, "", ""},
		{"by fingerprint of a key gone from every listing", map[string]any{"fingerprint": fpLive, "already_gone": true}, "prod", "fingerprint"},
		{"by the service account respond created", map[string]any{"key_id": "key_new", "project": "proj_a", "owner_type": "service_account",
			"owner_name": "respond-prod-INC-20261129-101010-abcd"}, "prod", "service_account"},
		{"a service account of another name", map[string]any{"key_id": "key_new", "project": "proj_a", "owner_type": "service_account",
			"owner_name": "respond-prod-extra-INC-20261129-101010-abcd"}, "", ""},
		{"by key_name", map[string]any{"key_id": "key_s", "key_name": "staging key", "project": "proj_a"}, "staging", "key_name"},
		{"named by the responder", map[string]any{"credential": "web", "already_gone": true}, "web", "credential"},
		{"by the alert's repository, for a gone key", map[string]any{"already_gone": true, "leak_repo": "acme/api", "leak_paths": []string{"app/.env"}}, "prod", "alert"},
		{"by the alert's file, for a gone key", map[string]any{"already_gone": true, "leak_repo": "other/repo", "leak_paths": []string{"staging/.env"}}, "staging", "alert"},
		{"not by the alert when the key is live", map[string]any{"key_id": "key_x", "leak_repo": "acme/api"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := map[string]any{"credentials": invCreds()}
			for k, v := range tc.params {
				params[k] = v
			}
			c, _ := newCall(t, params)
			res, err := k.Apply(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outputs["credential"] != tc.want || res.Outputs["matched_by"] != tc.by || res.Outputs["matched"] != (tc.want != "") {
				t.Fatalf("outputs %v, want credential %q by %q", res.Outputs, tc.want, tc.by)
			}
		})
	}
}

func TestInventoryTargetsOutputs(t *testing.T) {
	c, _ := newCall(t, map[string]any{"credentials": invCreds(), "fingerprint": fpLive, "already_gone": true})
	res, err := InventoryTargets{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	o := res.Outputs
	if o["project"] != "proj_a" || o["key_id"] != "key_live" || o["label"] != "prod" || o["count"] != 1 || o["has_targets"] != true ||
		len(o["workflows"].([]any)) != 1 || o["credential_key_id"] != "key_live" {
		t.Fatalf("outputs %v", o)
	}
	// A credential with no targets: matched, but nothing to deploy to.
	c, _ = newCall(t, map[string]any{"credentials": invCreds(), "key_id": "key_empty"})
	res, err = InventoryTargets{}.Apply(context.Background(), c)
	if err != nil || res.Outputs["matched"] != true || res.Outputs["has_targets"] != false || !strings.Contains(res.Summary, "nothing will be replaced") {
		t.Fatalf("empty credential: %v %v", res, err)
	}
	// No match: the label still names the key, cleanly.
	c, _ = newCall(t, map[string]any{"credentials": invCreds(), "key_id": "key_x", "key_name": "Secret Key / prod"})
	res, err = InventoryTargets{}.Apply(context.Background(), c)
	if err != nil || res.Outputs["label"] != "Secret-Key-prod" || !strings.Contains(res.Summary, "no credential in the inventory names key key_x") {
		t.Fatalf("no match: %v %v", res, err)
	}
}

func TestInventoryTargetsAmbiguousAlertAsks(t *testing.T) {
	creds := invCreds()
	// A second credential with a target in acme/api.
	creds[2].(map[string]any)["targets"] = []any{map[string]any{"type": "github-actions", "repo": "acme/api", "secret": "K2"}}
	params := map[string]any{"credentials": creds, "already_gone": true, "leak_repo": "acme/api"}

	c, _ := newCall(t, params)
	ch := &chooser{answer: 1}
	c.Approver = ch
	res, err := InventoryTargets{}.Apply(context.Background(), c)
	if err != nil || res.Outputs["credential"] != "web" || len(ch.options) != 2 {
		t.Fatalf("chosen: %v %v (options %v)", res, err, ch.options)
	}

	// Nobody to ask: say how to choose.
	c, _ = newCall(t, params)
	c.Approver = &chooser{err: step.ErrNoChoice}
	_, err = InventoryTargets{}.Apply(context.Background(), c)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "--credential NAME") || !strings.Contains(err.Error(), "prod, web") {
		t.Fatalf("no terminal: %v", err)
	}

	// Two credentials with the same key_id: an error naming both.
	creds = invCreds()
	creds[2].(map[string]any)["key_id"] = "key_live"
	creds[2].(map[string]any)["project"] = "proj_a"
	c, _ = newCall(t, map[string]any{"credentials": creds, "key_id": "key_live"})
	_, err = InventoryTargets{}.Apply(context.Background(), c)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "prod, web") {
		t.Fatalf("duplicate: %v", err)
	}
	// An unknown --credential lists the names.
	c, _ = newCall(t, map[string]any{"credentials": invCreds(), "credential": "nope"})
	_, err = InventoryTargets{}.Apply(context.Background(), c)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "prod, staging, web, empty") {
		t.Fatalf("unknown credential: %v", err)
	}
}
