package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/owned"
	"github.com/respondhq/respond/internal/secret"
)

func TestAppendReadSequenceAndSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	reg := secret.NewRegistry()
	key := secret.New("sk-proj-JOURNALCANARY00000000000000000000abcd")
	reg.Add(key)
	jkey := GenerateKey().For("INC-test")
	w, err := Open(path, jkey, reg)
	if err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2026, 11, 27, 16, 12, 0, 0, time.UTC)
	w.SetClock(func() time.Time { return fixed })
	if _, err := w.Append(Record{Type: IncidentStarted, Data: map[string]any{"inputs": map[string]any{"key": key}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(Record{Type: StepFinished, Step: "s", Status: StatusOK,
		Outputs:  map[string]any{"secret": key, "plain": "text with " + key.Reveal() + " inside"},
		Evidence: map[string]any{"list": []any{key}}}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "JOURNALCANARY") {
		t.Fatalf("secret in journal:\n%s", raw)
	}
	if !strings.Contains(string(raw), key.Fingerprint()) {
		t.Errorf("journal should hold the fingerprint")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("journal mode = %v, want 0600", info.Mode().Perm())
	}

	// Reopen: the sequence continues.
	w2, err := Open(path, jkey, reg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := w2.Append(Record{Type: NoteAdded, Message: "hi"})
	if err != nil || r.Seq != 3 {
		t.Fatalf("seq after reopen = %d, %v; want 3", r.Seq, err)
	}
	w2.Close()
	recs, err := ReadFile(path)
	if err != nil || len(recs) != 3 {
		t.Fatalf("read %d records, %v", len(recs), err)
	}
	if !recs[0].Time.Equal(fixed) || recs[1].Step != "s" {
		t.Errorf("records = %+v", recs)
	}
	ref, _ := recs[1].Outputs["secret"].(map[string]any)
	if ref["secret"] != true || ref["fingerprint"] != key.Fingerprint() {
		t.Errorf("secret output journaled as %v", recs[1].Outputs["secret"])
	}
}

func TestReadIgnoresTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	key := GenerateKey().For("INC-test")
	first, _ := key.seal(nil, []byte(`{"seq":1,"time":"2026-11-27T16:12:00Z","type":"incident.started"}`))
	content := string(first) + "\n" + `{"seq":2,"time":"2026-11-27T16:1`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadFile(path)
	if err != nil || len(recs) != 1 {
		t.Fatalf("got %d records, %v; want the one complete record", len(recs), err)
	}
	// A torn line is not tampering.
	if recs, err := ReadSealed(path, key); err != nil || len(recs) != 1 {
		t.Fatalf("ReadSealed: %d records, %v; want the one complete record", len(recs), err)
	}
	// Reopening cuts the torn line off, so the next record is readable.
	w, err := Open(path, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(Record{Type: NoteAdded}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	recs, err = ReadSealed(path, key)
	if err != nil || len(recs) != 2 || recs[1].Seq != 2 || recs[1].Type != NoteAdded {
		t.Fatalf("after reopen: %+v, %v; want 2 readable, sealed records", recs, err)
	}
}

func TestReadReportsCorruptLine(t *testing.T) {
	_, err := Read(strings.NewReader("{\"seq\":1}\nnot json\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want it to name line 2", err)
	}
}

// sealed writes a journal of n notes sealed with key and returns its lines.
func sealed(t *testing.T, path string, key Key, n int) []string {
	t.Helper()
	w, err := Open(path, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := w.Append(Record{Type: NoteAdded, Message: fmt.Sprintf("note %d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestSealsCatchEveryChange: issue #17 item 4. A journal edited after
// respond wrote it (a record changed, removed, inserted, reordered, or the
// whole journal taken from another incident) fails its check at the first
// line that no longer matches, and nothing is appended to it.
func TestSealsCatchEveryChange(t *testing.T) {
	master := GenerateKey()
	key := master.For("INC-a")
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	lines := sealed(t, good, key, 5)
	if recs, err := ReadSealed(good, key); err != nil || len(recs) != 5 {
		t.Fatalf("untouched journal: %d records, %v", len(recs), err)
	}
	edits := map[string]struct {
		content string
		line    int
	}{
		"a changed record":   {strings.Join(lines[:2], "") + strings.Replace(lines[2], "note 3", "note X", 1) + strings.Join(lines[3:], ""), 3},
		"a removed record":   {strings.Join(lines[:1], "") + strings.Join(lines[2:], ""), 2},
		"the first removed":  {strings.Join(lines[1:], ""), 1},
		"two swapped":        {lines[0] + lines[2] + lines[1] + strings.Join(lines[3:], ""), 2},
		"an unsealed record": {strings.Join(lines[:3], "") + `{"seq":4,"time":"2026-11-27T16:12:00Z","type":"note","message":"planted"}` + "\n" + strings.Join(lines[3:], ""), 4},
		"a duplicated one":   {strings.Join(lines[:3], "") + lines[2] + strings.Join(lines[3:], ""), 4},
		"a blank line":       {strings.Join(lines[:3], "") + "\n" + strings.Join(lines[3:], ""), 4},
		"the mac changed":    {strings.Join(lines[:4], "") + strings.Replace(lines[4], `"mac":"`, `"mac":"0`, 1)[:len(lines[4])-2] + "\"}\n", 5},
	}
	for name, e := range edits {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".jsonl")
		if err := os.WriteFile(path, []byte(e.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadSealed(path, key)
		var te *TamperError
		if !errors.As(err, &te) || te.Line != e.line || !errors.Is(err, ErrTampered) {
			t.Errorf("%s: ReadSealed = %v, want a tamper error at line %d", name, err, e.line)
		}
		if _, err := Open(path, key, nil); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: Open = %v, want it refused", name, err)
		}
		if b, _ := os.ReadFile(path); string(b) != e.content {
			t.Errorf("%s: the refused journal was changed", name)
		}
	}
	// Another incident's journal, or this one under another state
	// directory's key, fails at line 1.
	for name, k := range map[string]Key{"another incident": master.For("INC-b"), "another state directory": GenerateKey().For("INC-a")} {
		var te *TamperError
		if _, err := ReadSealed(good, k); !errors.As(err, &te) || te.Line != 1 {
			t.Errorf("%s: %v, want a tamper error at line 1", name, err)
		}
	}
	// Cutting records off the end keeps the chain: that reads as a run
	// interrupted earlier (docs/security.md says why that is accepted).
	cut := filepath.Join(dir, "cut.jsonl")
	if err := os.WriteFile(cut, []byte(strings.Join(lines[:3], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if recs, err := ReadSealed(cut, key); err != nil || len(recs) != 3 {
		t.Errorf("a journal cut after a record: %d records, %v", len(recs), err)
	}
}

// TestOpenRefusesLinkedJournal: a journal that is a symbolic link is not
// followed.
func TestOpenRefusesLinkedJournal(t *testing.T) {
	dir := t.TempDir()
	key := GenerateKey().For("INC-a")
	real := filepath.Join(dir, "elsewhere.jsonl")
	sealed(t, real, key, 1)
	link := filepath.Join(dir, FileName)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(link, key, nil); !errors.Is(err, owned.ErrNotTrusted) {
		t.Errorf("Open(link) = %v, want it refused", err)
	}
	if _, err := ReadSealed(link, key); !errors.Is(err, owned.ErrNotTrusted) {
		t.Errorf("ReadSealed(link) = %v, want it refused", err)
	}
}
