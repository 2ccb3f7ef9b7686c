package githubapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
)

// clientWithCache is another client of e's simulator (a later run) using
// the key cache at path.
func clientWithCache(t *testing.T, e *env, path string) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{next: e.srv.Client().Transport}
	c, err := New(Config{BaseURL: e.srv.URL, Token: secret.New(adminToken), HTTPClient: &http.Client{Transport: rec}, KeyCache: path})
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// Public keys fetched in one run are kept in the cache file (0600) and
// reused by the next, so its writes cost the write alone; a key GitHub
// rotated since is refused (422), dropped, fetched again and recorded.
func TestPublicKeyCacheAcrossRuns(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	path := filepath.Join(t.TempDir(), "state", "github-public-keys.jsonl")
	scopes := []SecretScope{repoScope,
		{App: "actions", Owner: "acme", Repo: "api", Environment: "production"},
		{App: "dependabot", Owner: "acme", Repo: "web"},
		{App: "actions", Org: "acme"}}

	first, rec1 := clientWithCache(t, e, path)
	for _, s := range scopes {
		if first.KnowsPublicKey(s) {
			t.Errorf("%s: known before any run", ScopeName(s))
		}
		if _, err := first.PublicKey(ctx, s); err != nil {
			t.Fatal(err)
		}
		if !first.KnowsPublicKey(s) {
			t.Errorf("%s: not known once fetched", ScopeName(s))
		}
	}
	if n := rec1.count("GET "); n != 4 {
		t.Errorf("first run: %d requests, want 4 key reads", n)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory: %v %v", fi, err)
	}

	second, rec2 := clientWithCache(t, e, path)
	for _, s := range scopes {
		if !second.KnowsPublicKey(s) {
			t.Errorf("%s: not known from the cache", ScopeName(s))
		}
	}
	pk, err := second.PublicKey(ctx, repoScope)
	if err != nil {
		t.Fatal(err)
	}
	if created, err := second.PutSecret(ctx, repoScope, "OPENAI_API_KEY", seal(t, pk, "v1"), OrgSecretOptions{}); err != nil || !created {
		t.Fatalf("write with a cached key: %v %v", created, err)
	}
	if n := len(rec2.reqs); n != 1 {
		t.Errorf("second run: %d requests (%v), want the write alone", n, rec2.reqs)
	}

	// GitHub rotates the key: the cached one is refused, dropped from the
	// cache, and the current one is fetched and kept.
	if err := e.sim.RotateRepoKey("acme", "api", "actions"); err != nil {
		t.Fatal(err)
	}
	third, rec3 := clientWithCache(t, e, path)
	stale, _ := third.PublicKey(ctx, repoScope)
	if _, err := third.PutSecret(ctx, repoScope, "OPENAI_API_KEY", seal(t, stale, "v2"), OrgSecretOptions{}); err == nil || !strings.Contains(err.Error(), "422") {
		t.Fatalf("write with a stale key: %v", err)
	}
	if third.KnowsPublicKey(repoScope) {
		t.Error("the refused key is still known")
	}
	cur, err := third.PublicKey(ctx, repoScope)
	if err != nil || cur.ID == stale.ID {
		t.Fatalf("current key %v %v", cur.ID, err)
	}
	if _, err := third.PutSecret(ctx, repoScope, "OPENAI_API_KEY", seal(t, cur, "v2"), OrgSecretOptions{}); err != nil {
		t.Fatal(err)
	}
	if rec3.count("GET ") != 1 {
		t.Errorf("third run: %v", rec3.reqs)
	}
	fourth, rec4 := clientWithCache(t, e, path)
	if got, _ := fourth.PublicKey(ctx, repoScope); got.ID != cur.ID || len(rec4.reqs) != 0 {
		t.Errorf("the next run has key %s (%d requests), want the current %s from the cache", got.ID, len(rec4.reqs), cur.ID)
	}
	// The file holds public keys only: nothing a secret could be.
	data, _ := os.ReadFile(path)
	for _, bad := range []string{adminToken, "v1", "v2", leaked} {
		if strings.Contains(string(data), `"`+bad+`"`) || strings.Contains(string(data), adminToken) {
			t.Errorf("cache file holds %q", bad)
		}
	}
}

// The cache is input like any other: lines that do not parse, hold no
// 32-byte key or are too long are ignored; keys of another host are not
// used; the last line of a scope wins.
func TestParseKeyLines(t *testing.T) {
	key := func(b byte) string {
		return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(b)), 32)))
	}
	data := strings.Join([]string{
		`{"host":"api.github.com","scope":"repos/acme/api/actions/secrets","key_id":"1","key":"` + key('a') + `"}`,
		`not json`,
		`{"host":"api.github.com","scope":"repos/acme/web/actions/secrets","key_id":"2","key":"c2hvcnQ="}`,
		`{"host":"ghe.example","scope":"repos/acme/web/actions/secrets","key_id":"3","key":"` + key('b') + `"}`,
		`{"host":"API.github.com","scope":"repos/acme/api/actions/secrets","key_id":"4","key":"` + key('c') + `"}`,
		`{"host":"api.github.com","scope":"repos/acme/x/actions/secrets","key_id":"5","key":"` + key('d') + `","pad":"` + strings.Repeat("x", maxKeyLine) + `"}`,
		`{"host":"api.github.com","scope":"","key_id":"6","key":"` + key('e') + `"}`,
		``,
	}, "\n")
	keys, lines := parseKeyLines([]byte(data), "api.github.com")
	if lines != 3 || len(keys) != 1 || keys["repos/acme/api/actions/secrets"].ID != "4" || keys["repos/acme/api/actions/secrets"].Key[0] != 'c' {
		t.Errorf("keys %v, %d usable lines", keys, lines)
	}
}

// A file with many more lines than keys is compacted when loaded,
// keeping the newest line of each scope, still 0600.
func TestKeyCacheCompacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.jsonl")
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, `{"host":"h","scope":"repos/acme/r%d/actions/secrets","key_id":"%d","key":"%s"}`+"\n",
			i%10, i, base64.StdEncoding.EncodeToString(make([]byte, 32)))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	k := newKeyFile(path, "h", nil)
	if pk, ok := k.get("repos/acme/r3/actions/secrets"); !ok || pk.ID != "2993" {
		t.Fatalf("key %v %v", pk, ok)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 10 || !strings.Contains(string(data), `"key_id":"2993"`) {
		t.Errorf("compacted file has %d lines:\n%s", n, data)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
}

func FuzzParseKeyLines(f *testing.F) {
	f.Add([]byte(`{"host":"h","scope":"repos/a/b/actions/secrets","key_id":"1","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}` + "\n{}\n"))
	f.Add([]byte("\n\n\x00{\"host\":"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, lines := parseKeyLines(data, "h")
		if len(keys) > lines {
			t.Fatalf("%d keys from %d usable lines", len(keys), lines)
		}
		for scope, pk := range keys {
			if scope == "" || pk.ID == "" || scope != strings.ToLower(scope) {
				t.Fatalf("unusable key %q %+v", scope, pk)
			}
		}
	})
}
