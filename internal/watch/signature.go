package watch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// SignatureHeader is the header GitHub signs deliveries in.
const SignatureHeader = "X-Hub-Signature-256"

// Sign returns the X-Hub-Signature-256 value of body under secret:
// "sha256=" and the hex HMAC-SHA256.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Why a delivery's signature is refused.
var (
	ErrUnsigned     = errors.New("the delivery has no X-Hub-Signature-256 header")
	ErrBadSignature = errors.New("the delivery's X-Hub-Signature-256 does not match its body under the webhook secret")
)

// VerifySignature checks header (X-Hub-Signature-256) against the raw body
// in constant time.
func VerifySignature(secret, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrUnsigned
	}
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}
