package watch

import (
	"errors"
	"testing"

	"github.com/google/go-github/v60/github"
)

// Signatures agree with go-github's, which agree with GitHub's.
func TestSignature(t *testing.T) {
	key, body := []byte("It's a Secret to Everybody"), []byte("Hello, World!")
	sig := Sign(key, body)
	// GitHub's documented example.
	if sig != "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" {
		t.Fatalf("Sign = %s", sig)
	}
	if err := github.ValidateSignature(sig, body, key); err != nil {
		t.Fatalf("go-github refuses our signature: %v", err)
	}
	if err := VerifySignature(key, body, sig); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		header string
		want   error
	}{
		{"", ErrUnsigned},
		{"sha1=" + sig[7:], ErrBadSignature},
		{"sha256=zz", ErrBadSignature},
		{Sign([]byte("other secret"), body), ErrBadSignature},
		{Sign(key, []byte("Hello, World?")), ErrBadSignature},
	} {
		if err := VerifySignature(key, body, c.header); !errors.Is(err, c.want) {
			t.Errorf("VerifySignature(%q) = %v, want %v", c.header, err, c.want)
		}
	}
}
