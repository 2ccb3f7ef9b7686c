package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/journal"
)

// upTo returns the success fixture's records up to and including the one
// numbered seq, then more.
func upTo(t *testing.T, seq int, more ...journal.Record) []journal.Record {
	t.Helper()
	recs, _ := loadFixture(t, "success")
	var out []journal.Record
	for _, r := range recs {
		if r.Seq <= seq {
			out = append(out, r)
		}
	}
	last := out[len(out)-1].Time
	for i := range more {
		more[i].Seq = seq + i + 1
		more[i].Time = last.Add(time.Duration(i+1) * time.Second)
	}
	return append(out, more...)
}

func build(t *testing.T, recs []journal.Record) *Report {
	t.Helper()
	pb, err := os.ReadFile(filepath.Join("testdata", "leaked-key.playbook.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := FromJournal(fixtureID, recs, pb)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// A plan the responder declined (seq 11 is the plan) is "declined", not
// "not contained": in the verdict, the status and the words; nothing in it
// claims a workflow ran or a target breaks with a revoked key.
func TestDeclinedPlanIsDeclined(t *testing.T) {
	r := build(t, upTo(t, 11,
		journal.Record{Type: journal.Approved, Message: "Apply this plan?", Data: map[string]any{"approved": false, "by": "dana", "how": "prompt"}},
		journal.Record{Type: journal.IncidentFinished, Status: "declined", Message: "the responder declined the plan"},
	))
	if r.Incident.Status != "declined" || r.Invariant == nil || r.Invariant.Verdict != Declined {
		t.Fatalf("status %q, verdict %+v; want declined", r.Incident.Status, r.Invariant)
	}
	if !strings.HasPrefix(r.Summary.Outcome, "Declined: ") {
		t.Errorf("outcome %q", r.Summary.Outcome)
	}
	for _, c := range r.Invariant.Clauses {
		if c.Name == ClauseRedeploys && c.Holds {
			t.Errorf("%s holds (%s), though the credential lists a workflow that never ran", c.Name, c.Detail)
		}
	}
	for _, f := range r.FollowUps {
		if f.ID == "update-target" {
			t.Errorf("follow-up %q: nothing was revoked, so no target breaks", f.Title)
		}
	}
	md := string(render(t, r, Markdown))
	for _, want := range []string{"**Status: declined**", "**Outcome: DECLINED**", "Declined: Apply this plan?", "`respond incidents close " + fixtureID} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// An old journal said cancelled for the same thing.
	old := build(t, upTo(t, 11, journal.Record{Type: journal.IncidentFinished, Status: "cancelled", Message: "the responder declined"}))
	if old.Incident.Status != "declined" || old.Invariant.Verdict != Declined {
		t.Errorf("an old journal's cancelled: status %q, verdict %q; want declined", old.Incident.Status, old.Invariant.Verdict)
	}
}

// An incident closed with `respond incidents close` is abandoned, with who
// closed it and why, and the report no longer sends anyone to resume it.
func TestAbandonedIncident(t *testing.T) {
	r := build(t, upTo(t, 20,
		journal.Record{Type: journal.RunInterrupted, Message: "interrupted: stopped by SIGTERM"},
		journal.Record{Type: journal.IncidentFinished, Status: StatusAbandoned, Message: "replaced by INC-2",
			Data: map[string]any{"by": "maya", "reason": "replaced by INC-2"}},
	))
	if r.Incident.Status != StatusAbandoned || r.Invariant.Verdict != Abandoned {
		t.Fatalf("status %q, verdict %q; want abandoned", r.Incident.Status, r.Invariant.Verdict)
	}
	if c := r.Incident.Closed; c == nil || c.By != "maya" || c.Reason != "replaced by INC-2" {
		t.Fatalf("closed = %+v", c)
	}
	md := string(render(t, r, Markdown))
	if !strings.Contains(md, "abandoned by maya at ") || !strings.Contains(md, "replaced by INC-2") {
		t.Error("the report does not say who abandoned it and why")
	}
	if strings.Contains(md, "respond resume") {
		t.Error("the report of an abandoned incident says to resume it")
	}
}

// A rotation's first promise is about the old key, which did not leak.
func TestRotationWording(t *testing.T) {
	recs := upTo(t, 40)
	recs[0].Data["strategy"] = "rotate-first"
	r := build(t, recs)
	if r.Incident.Kind != "rotation" {
		t.Fatalf("kind %q", r.Incident.Kind)
	}
	if got := r.Invariant.Clauses[0].Name; got != ClauseOldDead {
		t.Errorf("first clause %q, want %q", got, ClauseOldDead)
	}
	if strings.Contains(string(render(t, r, Markdown)), "leaked key dead") {
		t.Error("a rotation's report speaks of a leaked key")
	}
}

// A step an earlier version journaled as skipped "when ${{ … }} is false"
// is shown in words.
func TestOldSkipReasonInWords(t *testing.T) {
	r := build(t, upTo(t, 40,
		journal.Record{Type: journal.StepFinished, Step: "usage", Status: journal.StatusSkipped, Message: "when ${{ steps.targets.outputs.key_id != '' }} is false"},
	))
	md := string(render(t, r, Markdown)) + string(render(t, r, HTML))
	if strings.Contains(md, "${{") {
		t.Error("raw template text reached the report")
	}
	if !strings.Contains(md, "it runs only when the output key_id of step targets is set") {
		t.Error("the skip reason is not in words")
	}
}

// A provider that counts nothing and reports no last use (Google): the
// usage section says both are unknown, and never that the last use is
// known.
func TestUsageNeitherCountedNorLastUse(t *testing.T) {
	recs := upTo(t, 40)
	for i, r := range recs {
		if r.Type == journal.StepFinished && r.Step == "usage" {
			recs[i].Outputs = nil
			recs[i].Evidence = map[string]any{"key_id": "key_Q2w3E4r5T6y7U8i9", "not_counted": true, "last_use_unknown": true,
				"source": "the provider's API reports neither a key's requests nor its last use"}
		}
	}
	r := build(t, recs)
	if r.Usage == nil || r.Usage.Counted {
		t.Fatalf("usage %+v; want not counted", r.Usage)
	}
	a := r.Usage.Assessment
	if strings.Contains(a, "only its last use is known") || !strings.Contains(a, "does not report a key's last use either") {
		t.Errorf("assessment %q: want neither the count nor the last use known", a)
	}
}

// A plan declined for a key no credential names: nothing was revoked, so
// nothing says that whatever used the key is failing now.
func TestDeclinedUnknownKeyBreaksNothing(t *testing.T) {
	recs := upTo(t, 11,
		journal.Record{Type: journal.Approved, Message: "Apply this plan?", Data: map[string]any{"approved": false, "by": "dana", "how": "prompt"}},
		journal.Record{Type: journal.IncidentFinished, Status: "declined", Message: "the responder declined the plan"},
	)
	for i := range recs {
		if recs[i].Step == "targets" && recs[i].Type == journal.StepFinished {
			recs[i].Evidence = map[string]any{"matched": false}
		}
	}
	r := build(t, recs)
	if r.Summary.Contained {
		t.Fatal("the declined fixture counts as contained")
	}
	for _, c := range r.Invariant.Clauses {
		if c.Name == ClauseOneLive && (c.Holds || strings.Contains(c.Detail, "failing now") || !strings.Contains(c.Detail, "before it is revoked")) {
			t.Errorf("%s: %q; want it to say no replacement would be made, nothing failing", c.Name, c.Detail)
		}
	}
}
