package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fpA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
const fpB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

func TestEditKeyNameBecomesKeyID(t *testing.T) {
	src := `# where our keys live
credentials:
  - name: openai-prod   # the production key
    provider: openai
    project: proj_abc
    key_name: prod-backend
    targets:
      - github-actions: {repo: acme/api, secret: OPENAI_API_KEY}   # CI
  - name: other
    provider: openai
    project: proj_abc
    key_id: key_other
`
	u := Update{Credential: "openai-prod", OldKeyName: "prod-backend", KeyID: "key_B", Fingerprint: fpB, Note: "set by respond INC-1; replaced prod-backend"}
	out, changed, err := Edit("respond.yaml", []byte(src), u)
	if err != nil || !changed {
		t.Fatalf("Edit: changed=%v err=%v", changed, err)
	}
	want := `# where our keys live
credentials:
  - name: openai-prod   # the production key
    provider: openai
    project: proj_abc
    key_id: key_B  # set by respond INC-1; replaced prod-backend
    fingerprint: ` + fpB + `
    targets:
      - github-actions: {repo: acme/api, secret: OPENAI_API_KEY}   # CI
  - name: other
    provider: openai
    project: proj_abc
    key_id: key_other
`
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	// Applying it again changes nothing.
	u2 := u
	u2.OldKeyName, u2.OldKeyID = "", "key_B"
	again, changed, err := Edit("respond.yaml", out, u2)
	if err != nil || changed || string(again) != string(out) {
		t.Fatalf("second Edit: changed=%v err=%v", changed, err)
	}
}

func TestEditNextIncidentReplacesValuesAndOwnNote(t *testing.T) {
	src := "credentials:\r\n" +
		"  - name: openai-prod\r\n" +
		"    provider: openai\r\n" +
		"    project: proj_abc\r\n" +
		"    key_id: \"key_B\"  # set by respond INC-1; replaced prod-backend\r\n" +
		"    fingerprint: " + fpB + "\r\n" +
		"    targets: []\r\n"
	u := Update{Credential: "openai-prod", OldKeyID: "key_B", KeyID: "key_C", Fingerprint: fpA, Note: "set by respond INC-2; replaced key_B"}
	out, changed, err := Edit("respond.yaml", []byte(src), u)
	if err != nil || !changed {
		t.Fatalf("Edit: changed=%v err=%v", changed, err)
	}
	want := "credentials:\r\n" +
		"  - name: openai-prod\r\n" +
		"    provider: openai\r\n" +
		"    project: proj_abc\r\n" +
		"    key_id: key_C  # set by respond INC-2; replaced key_B\r\n" +
		"    fingerprint: " + fpA + "\r\n" +
		"    targets: []\r\n"
	if string(out) != want {
		t.Fatalf("got:\n%q\nwant:\n%q", out, want)
	}
}

func TestEditKeepsUsersComment(t *testing.T) {
	src := `credentials:
  - name: c
    provider: openai
    project: proj_é
    key_id: key_A # rotate monthly
`
	out, _, err := Edit("i.yaml", []byte(src), Update{Credential: "c", OldKeyID: "key_A", KeyID: "key_B", Fingerprint: fpB, Note: "set by respond"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "    key_id: key_B # rotate monthly\n    fingerprint: "+fpB+"\n") {
		t.Fatalf("got:\n%s", out)
	}
}

func TestEditFlowStyle(t *testing.T) {
	src := `credentials:
  - {name: c, provider: openai, project: proj_x, key_id: key_A, targets: []}
`
	out, _, err := Edit("i.yaml", []byte(src), Update{Credential: "c", OldKeyID: "key_A", KeyID: "key_B", Fingerprint: fpB, Note: "ignored in flow style"})
	if err != nil {
		t.Fatal(err)
	}
	want := `credentials:
  - {name: c, provider: openai, project: proj_x, key_id: key_B, fingerprint: ` + fpB + `, targets: []}
`
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestEditFirstKeyOfItem(t *testing.T) {
	src := `credentials:
  - key_id: key_A
    name: c
    provider: openai
    project: proj_x
`
	out, _, err := Edit("i.yaml", []byte(src), Update{Credential: "c", OldKeyID: "key_A", KeyID: "key_B", Fingerprint: fpB})
	if err != nil {
		t.Fatal(err)
	}
	want := "credentials:\n  - key_id: key_B\n    fingerprint: " + fpB + "\n    name: c\n    provider: openai\n    project: proj_x\n"
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestEditRefusesAConcurrentChange(t *testing.T) {
	src := `credentials:
  - name: c
    provider: openai
    project: proj_x
    key_id: key_Z
`
	_, _, err := Edit("i.yaml", []byte(src), Update{Credential: "c", OldKeyID: "key_A", KeyID: "key_B"})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "key_Z") {
		t.Fatalf("err = %v, want a conflict naming key_Z", err)
	}
	_, _, err = Edit("i.yaml", []byte(src), Update{Credential: "gone", OldKeyID: "key_A", KeyID: "key_B"})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want a conflict for a missing credential", err)
	}
}

func TestRewriteKeepsModeAndIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "respond.yaml")
	src := "credentials:\n  - name: c\n    provider: openai\n    project: proj_x\n    key_id: key_A\n"
	if err := os.WriteFile(path, []byte(src), 0o640); err != nil {
		t.Fatal(err)
	}
	changed, err := Rewrite(path, Update{Credential: "c", OldKeyID: "key_A", KeyID: "key_B", Fingerprint: fpB})
	if err != nil || !changed {
		t.Fatalf("Rewrite: %v %v", changed, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640", fi.Mode().Perm())
	}
	inv, diags := Parse(path, mustRead(t, path))
	if diags.HasErrors() || inv.Credentials[0].KeyID != "key_B" || inv.Credentials[0].Fingerprint != fpB {
		t.Fatalf("after Rewrite: %v %+v", diags.Err(), inv)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	// A read-only directory and file: the error says so and the file is
	// untouched.
	if os.Getuid() != 0 {
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		if _, err := Rewrite(path, Update{Credential: "c", OldKeyID: "key_B", KeyID: "key_C"}); err == nil {
			t.Fatal("Rewrite in a read-only directory succeeded")
		}
	}
}

func TestInstructions(t *testing.T) {
	u := Update{Credential: "c", OldKeyName: "prod", KeyID: "key_B", Fingerprint: fpB}
	got := u.Instructions("respond.yaml")
	want := "in respond.yaml, under credential \"c\": replace `key_name: prod` with `key_id: key_B` and `fingerprint: " + fpB + "`"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzEdit(f *testing.F) {
	f.Add("credentials:\n  - name: c\n    provider: openai\n    project: proj_x\n    key_id: key_A\n")
	f.Add("credentials:\n  - {name: c, provider: openai, project: proj_x, key_name: 'a b'}\n")
	f.Add("credentials:\n  - name: c\n    provider: openai\n    project: proj_x\n    key_name: \"x\" # c\n    fingerprint: " + fpA + "\n")
	f.Fuzz(func(t *testing.T, src string) {
		before, diags := Parse("f.yaml", []byte(src))
		if diags.HasErrors() || len(before.Credentials) == 0 {
			return
		}
		c := before.Credentials[0]
		u := Update{Credential: c.Name, OldKeyID: c.KeyID, OldKeyName: c.KeyName, KeyID: "key_NEW", Fingerprint: fpB, Note: "set by respond"}
		out, changed, err := Edit("f.yaml", []byte(src), u)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Edit: %v\nsource:\n%s", err, src)
			}
			return
		}
		if !changed {
			return
		}
		after, diags := Parse("f.yaml", out)
		if diags.HasErrors() {
			t.Fatalf("edited source does not parse: %v\n%s", diags.Err(), out)
		}
		if after.Credentials[0].KeyID != "key_NEW" {
			t.Fatalf("key_id not set:\n%s", out)
		}
	})
}

// A credential named by its fingerprint alone (a GitHub token has no ID a
// person writes down) gets key_id before its new fingerprint.
func TestEditFingerprintOnly(t *testing.T) {
	src := `credentials:
  - name: deploy-token
    provider: github-token
    fingerprint: ` + fpA + `   # the token of the deploy bot
    targets:
      - github-actions: {repo: acme/api, secret: DEPLOY_TOKEN}
  - {name: flow, provider: github-token, fingerprint: ` + fpA + `, targets: []}
`
	u := Update{Credential: "deploy-token", KeyID: "token_bbbbbbbbbbbb", Fingerprint: fpB, Note: "set by respond INC-1"}
	out, changed, err := Edit("respond.yaml", []byte(src), u)
	if err != nil || !changed {
		t.Fatalf("Edit: changed=%v err=%v", changed, err)
	}
	want := `credentials:
  - name: deploy-token
    provider: github-token
    key_id: token_bbbbbbbbbbbb  # set by respond INC-1
    fingerprint: ` + fpB + `   # the token of the deploy bot
    targets:
      - github-actions: {repo: acme/api, secret: DEPLOY_TOKEN}
  - {name: flow, provider: github-token, fingerprint: ` + fpA + `, targets: []}
`
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	// Once it has a key_id, the next response edits it as any other.
	u2 := Update{Credential: "deploy-token", OldKeyID: "token_bbbbbbbbbbbb", KeyID: "token_cccccccccccc", Fingerprint: fpA}
	if _, changed, err := Edit("respond.yaml", out, u2); err != nil || !changed {
		t.Fatalf("second Edit: changed=%v err=%v", changed, err)
	}

	out, _, err = Edit("respond.yaml", []byte(src), Update{Credential: "flow", KeyID: "token_bbbbbbbbbbbb", Fingerprint: fpB})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "{name: flow, provider: github-token, key_id: token_bbbbbbbbbbbb, fingerprint: "+fpB+", targets: []}") {
		t.Fatalf("flow style:\n%s", out)
	}
}
