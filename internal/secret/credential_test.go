package secret

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCredentialNeverShowsASecretPart(t *testing.T) {
	const id = "AKIAIOSFODNN7EXAMPLE"
	const sk = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	c := NewCredential("aws", PlainPart("access_key_id", id), SecretPart("secret_access_key", New(sk)))
	type wrapper struct {
		C Credential
		P []Credential
	}
	w := wrapper{C: c, P: []Credential{c}}
	j, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c, c, c), fmt.Sprintf("%+v %#v", w, w), string(j), c.Redacted(),
	} {
		if strings.Contains(s, sk) || strings.Contains(s, sk[:12]) {
			t.Fatalf("a secret part leaked: %s", s)
		}
		if !strings.Contains(s, id) && !strings.Contains(s, fmt.Sprintf("%x", c.Redacted())) {
			t.Errorf("the identifier is not shown: %s", s)
		}
	}
	if m, ok := c.Main(); !ok || m.Name != "secret_access_key" || m.Value().Reveal() != sk {
		t.Fatalf("main part %+v", m)
	}
	if p, _ := c.Part("access_key_id"); p.Text() != id || p.Value().Reveal() != id {
		t.Fatalf("id part %+v", p)
	}
	if c.Fingerprint() != Fingerprint(sk) {
		t.Fatal("the fingerprint is not the secret part's")
	}
	if len(c.Secrets()) != 1 || c.IsZero() {
		t.Fatal("secrets")
	}
	one := NewCredential("openai", SecretPart("key", New("sk-proj-abcdefghijklmnopqrstuvwxyz")))
	if one.Fingerprint() != New("sk-proj-abcdefghijklmnopqrstuvwxyz").Fingerprint() || one.Redacted() != "sk-proj-…wxyz" {
		t.Fatalf("one part: %s %s", one.Fingerprint(), one.Redacted())
	}
}
