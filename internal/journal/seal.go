package journal

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Every record of a journal is sealed: the line ends with
// ,"mac":"<HMAC-SHA256 in hex>"}, computed over the MAC of the record
// before it and the line's JSON without the mac member. The MACs form a
// chain, so a record changed, removed, inserted or moved breaks every seal
// from there on; the key is the incident's (Key.For), derived from a
// secret kept outside the incident directories (incident.Store.JournalKey),
// so a journal copied from another incident or state directory fails from
// its first record.
//
// Each record is sealed as it is written, in the same write and fsync, so
// the journal stays crash-safe: a crash leaves at most a last line without
// its newline, which is torn, not tampered with, and is dropped as
// before. What the chain cannot show is records cut off at the end (the
// journal then reads as a run interrupted earlier); doing so needs write
// access to the incident directory, which respond refuses to share
// (internal/owned). docs/security.md says why per-record MACs and not a
// trailer.

// Key is a journal sealing key: the state directory's (NewKey), or an
// incident's (Key.For).
type Key struct {
	k        []byte
	incident string // "" for a state directory's key
}

// KeySize is the length of a state directory's key.
const KeySize = 32

// NewKey returns the key b (KeySize bytes) of a state directory.
func NewKey(b []byte) (Key, error) {
	if len(b) != KeySize {
		return Key{}, fmt.Errorf("a journal key is %d bytes, not %d", KeySize, len(b))
	}
	return Key{k: bytes.Clone(b)}, nil
}

// GenerateKey returns a new random state directory key.
func GenerateKey() Key {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b)
	return Key{k: b}
}

// For is the key that seals the journal of incident id.
func (k Key) For(id string) Key {
	m := hmac.New(sha256.New, k.k)
	m.Write([]byte("respond journal v1\x00" + id))
	return Key{k: m.Sum(nil), incident: id}
}

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return len(k.k) == 0 }

// Bytes is the key's content, to keep it in a file.
func (k Key) Bytes() []byte { return bytes.Clone(k.k) }

// String never shows the key.
func (k Key) String() string { return "journal.Key(…)" }

// GoString never shows the key.
func (k Key) GoString() string { return k.String() }

// macSuffix is how a sealed line ends: ,"mac":"<64 hex>"}.
const (
	macOpen   = `,"mac":"`
	macLen    = 2 * sha256.Size
	macSuffix = len(macOpen) + macLen + len(`"}`)
)

// seal returns the line for body (a JSON object) sealed after prev.
func (k Key) seal(prev []byte, body []byte) (line, mac []byte) {
	mac = k.mac(prev, body)
	line = make([]byte, 0, len(body)+macSuffix+1)
	line = append(line, body[:len(body)-1]...)
	line = append(line, macOpen...)
	line = hex.AppendEncode(line, mac)
	line = append(line, `"}`...)
	return line, mac
}

func (k Key) mac(prev, body []byte) []byte {
	m := hmac.New(sha256.New, k.k)
	m.Write(prev)
	m.Write(body)
	return m.Sum(nil)
}

// unseal checks line (without its newline) against the seal chain after
// prev and returns its MAC.
func (k Key) unseal(prev, line []byte) ([]byte, error) {
	if len(line) < macSuffix+2 || !bytes.HasSuffix(line, []byte(`"}`)) || !bytes.Equal(line[len(line)-macSuffix:len(line)-macSuffix+len(macOpen)], []byte(macOpen)) {
		return nil, errNoSeal
	}
	got := make([]byte, sha256.Size)
	if _, err := hex.Decode(got, line[len(line)-macSuffix+len(macOpen):len(line)-2]); err != nil {
		return nil, errNoSeal
	}
	body := append(bytes.Clone(line[:len(line)-macSuffix]), '}')
	if !hmac.Equal(got, k.mac(prev, body)) {
		return nil, errBadSeal
	}
	return got, nil
}

var (
	errNoSeal  = errors.New("it has no seal")
	errBadSeal = errors.New("its seal does not match")
)

// ErrTampered is matched (errors.Is) by a *TamperError.
var ErrTampered = errors.New("journal fails its integrity check")

// TamperError says where a journal fails its seals.
type TamperError struct {
	Path string
	Line int   // 1-based
	Err  error // errNoSeal, errBadSeal
}

func (e *TamperError) Error() string {
	why := "this record, or one before it, was changed, removed, inserted or reordered after respond wrote it"
	switch {
	case errors.Is(e.Err, errNoSeal):
		why = "something other than respond wrote or rewrote it (or a respond too old to seal journals)"
	case e.Line == 1:
		why = "it was changed after respond wrote it, or the journal belongs to another incident or state directory"
	}
	return fmt.Sprintf("journal %s fails its integrity check at line %d: %v; %s", e.Path, e.Line, e.Err, why)
}

// Is makes errors.Is(err, ErrTampered) true.
func (e *TamperError) Is(target error) bool { return target == ErrTampered }

// verify checks every complete line of data (a last line without its
// newline is torn and left out) and returns the number of bytes they
// take and the last MAC.
func verify(path string, data []byte, key Key) (complete int, last []byte, err error) {
	n := 0
	for len(data[complete:]) > 0 {
		rest := data[complete:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break // torn: a crash cut the last write short
		}
		n++
		mac, err := key.unseal(last, rest[:i])
		if err != nil {
			return 0, nil, &TamperError{Path: path, Line: n, Err: err}
		}
		last = mac
		complete += i + 1
	}
	return complete, last, nil
}
