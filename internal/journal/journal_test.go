package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/secret"
)

func TestAppendReadSequenceAndSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	reg := secret.NewRegistry()
	key := secret.New("sk-proj-JOURNALCANARY00000000000000000000abcd")
	reg.Add(key)
	w, err := Open(path, reg)
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
	w2, err := Open(path, reg)
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
	content := `{"seq":1,"time":"2026-11-27T16:12:00Z","type":"incident.started"}` + "\n" + `{"seq":2,"time":"2026-11-27T16:1`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadFile(path)
	if err != nil || len(recs) != 1 {
		t.Fatalf("got %d records, %v; want the one complete record", len(recs), err)
	}
	// Reopening cuts the torn line off, so the next record is readable.
	w, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(Record{Type: NoteAdded}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	recs, err = ReadFile(path)
	if err != nil || len(recs) != 2 || recs[1].Seq != 2 || recs[1].Type != NoteAdded {
		t.Fatalf("after reopen: %+v, %v; want 2 readable records", recs, err)
	}
}

func TestReadReportsCorruptLine(t *testing.T) {
	_, err := Read(strings.NewReader("{\"seq\":1}\nnot json\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want it to name line 2", err)
	}
}
