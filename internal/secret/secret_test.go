package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const canary = "sk-proj-CANARYsecretvalue0123456789abcdefXYZW"

// other is a second secret that shares a prefix with canary.
const other = "sk-proj-CANARYsecondvalue9876543210zyxwvuQRST"

func TestValueNeverPrints(t *testing.T) {
	v := New(canary)
	type holder struct {
		Key   Value
		inner Value
		Ptr   *Value
	}
	h := holder{Key: v, inner: v, Ptr: &v}
	outs := []string{
		fmt.Sprint(v), fmt.Sprintf("%s|%v|%+v|%#v|%q|%x|%X|%d", v, v, v, v, v, v, v, v),
		fmt.Sprintf("%v %+v %#v", h, h, h), fmt.Sprint([]Value{v}), fmt.Sprint(map[string]Value{"k": v}),
		v.String(), v.GoString(), v.Redacted(),
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(b))
	tb, _ := v.MarshalText()
	outs = append(outs, string(tb))
	yb, err := yaml.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(yb))
	for _, o := range outs {
		if strings.Contains(o, canary) || strings.Contains(o, "CANARYsecret") {
			t.Errorf("secret leaked in %q", o)
		}
	}
	if !strings.Contains(string(b), "sha256:") {
		t.Errorf("JSON should carry the fingerprint: %s", b)
	}
	if got := v.Reveal(); got != canary {
		t.Errorf("Reveal = %q", got)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"":      "[empty secret]",
		"short": "[secret]",
		canary:  "sk-proj-…XYZW",
		"sk-svcacct-" + strings.Repeat("a", 40) + "LAST": "sk-svcac…LAST",
		strings.Repeat("x", 30) + "tail":                 "…tail",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	if got := New("abc").Fingerprint(); got != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Fingerprint = %s", got)
	}
}

func TestWriterMasksAcrossWrites(t *testing.T) {
	reg := NewRegistry()
	reg.Add(New(canary), New("tiny")) // too short to mask: ignored
	var out bytes.Buffer
	w := NewWriter(&out, reg)
	text := "before " + canary + " middle " + canary + " after tiny\n"
	// Write one byte at a time: every secret is split across writes.
	for i := 0; i < len(text); i++ {
		if _, err := w.Write([]byte{text[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, canary) {
		t.Fatalf("secret leaked: %q", got)
	}
	want := "before [REDACTED sk-proj-…XYZW] middle [REDACTED sk-proj-…XYZW] after tiny\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWriterHoldsOnlyPossiblePrefixes(t *testing.T) {
	reg := NewRegistry()
	reg.Add(New(canary))
	var out bytes.Buffer
	w := NewWriter(&out, reg)
	fmt.Fprint(w, "progress 1/3 ")
	if out.String() != "progress 1/3 " {
		t.Errorf("text that cannot start a secret must not be held back: %q", out.String())
	}
	fmt.Fprint(w, "sk-pro")
	if strings.Contains(out.String(), "sk-pro") {
		t.Errorf("a possible secret prefix was written early: %q", out.String())
	}
	fmt.Fprint(w, "ductive\n")
	if out.String() != "progress 1/3 sk-productive\n" {
		t.Errorf("got %q", out.String())
	}
}

func TestRegistryContains(t *testing.T) {
	reg := NewRegistry()
	reg.Add(New(canary))
	if !reg.Contains("X="+canary) || reg.Contains("nothing here") {
		t.Error("Contains is wrong")
	}
	if got := reg.MaskString("k=" + canary); strings.Contains(got, canary) {
		t.Errorf("MaskString leaked: %s", got)
	}
}

// FuzzWriter splits text holding secrets into writes at fuzzed offsets:
// the output never holds 12 or more characters of a secret in a row, and
// equals masking the whole text at once.
func FuzzWriter(f *testing.F) {
	f.Add("hello "+canary+" world", 3, uint64(0))
	f.Add(canary+canary, 1, uint64(7))
	f.Add("x"+canary[:20]+canary+other, 5, uint64(1<<40|3))
	// Encoded forms (forms.go): percent, JSON, base64 wrapped and not.
	for _, e := range encodings(awsCanary) {
		f.Add("out: "+e+" "+awsCanary[:30], 4, uint64(5))
	}
	f.Fuzz(func(t *testing.T, text string, chunk int, cuts uint64) {
		if chunk <= 0 || chunk > 64 {
			chunk = 7
		}
		reg := NewRegistry()
		reg.Add(New(canary), New(other), New(awsCanary))
		var out bytes.Buffer
		w := NewWriter(&out, reg)
		// Chunks of varying size: chunk, shifted by the bits of cuts.
		for i, n := 0, 0; i < len(text); n++ {
			size := chunk + int(cuts>>(n%64)&7)
			_, _ = w.Write([]byte(text[i:min(len(text), i+size)]))
			i += size
		}
		_ = w.Flush()
		got := out.String()
		for _, s := range []string{canary, other, awsCanary, url.QueryEscape(awsCanary), base64.StdEncoding.EncodeToString([]byte(awsCanary))} {
			if strings.Contains(got, s) {
				t.Fatalf("secret leaked for %q", text)
			}
		}
		if want := reg.MaskString(text); got != want {
			t.Fatalf("streamed %q\nwhole    %q", got, want)
		}
	})
}

// TestWriterEveryOffset splits a secret into two writes at every offset.
func TestWriterEveryOffset(t *testing.T) {
	reg := NewRegistry()
	reg.Add(New(canary))
	text := "a " + canary + " b"
	for k := 0; k <= len(text); k++ {
		var out bytes.Buffer
		w := NewWriter(&out, reg)
		w.Write([]byte(text[:k]))
		if strings.Contains(out.String(), canary[:min(len(canary), 12)]) {
			t.Fatalf("offset %d: %d characters of the secret written before it was complete: %q", k, 12, out.String())
		}
		w.Write([]byte(text[k:]))
		w.Flush()
		if got, want := out.String(), reg.MaskString(text); got != want {
			t.Fatalf("offset %d: got %q, want %q", k, got, want)
		}
	}
}

func TestMaskCutDropsPartialSecretAtTheEnd(t *testing.T) {
	reg := NewRegistry()
	reg.Add(New(canary))
	for k := 1; k < len(canary); k++ {
		got := reg.MaskCut("start " + canary + " mid " + canary[:k])
		if want := "start [REDACTED sk-proj-…XYZW] mid "; got != want {
			t.Fatalf("cut after %d characters: %q, want %q", k, got, want)
		}
	}
}
