package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/journal"
)

// A note of the plan with a follow-up title (the GitHub writer's
// suggestion of an organization secret) becomes a follow-up with its
// figures, once, however many plans the incident recorded; notes without
// a title (the cost estimate) do not.
func TestPlanNotesBecomeFollowUps(t *testing.T) {
	recs, _ := loadFixture(t, "success")
	notes := []any{
		map[string]any{"step": "deploy", "id": "github-cost", "text": "103 GitHub secret write(s): …"},
		map[string]any{"step": "deploy", "id": "github-org-secret", "text": "OPENAI_API_KEY is copied into 100 repositories of acme as a repository secret: 100 writes (500 points; …) every time it changes.",
			"follow_up": "Hold OPENAI_API_KEY in an organization secret of acme instead of 100 repository secrets", "figures": map[string]any{"repositories": 100}},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, rec := range recs {
		if rec.Type == journal.PlanRecorded {
			rec.Data = map[string]any{"notes": notes}
			if err := enc.Encode(rec); err != nil { // twice: a resumed run plans again
				t.Fatal(err)
			}
		}
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
	}
	recs2, err := journal.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromJournal(fixtureID, recs2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []FollowUp
	for _, f := range r.FollowUps {
		if strings.HasPrefix(f.ID, "github-") {
			got = append(got, f)
		}
	}
	if len(got) != 1 || got[0].ID != "github-org-secret" || got[0].Priority != "low" ||
		got[0].Title != "Hold OPENAI_API_KEY in an organization secret of acme instead of 100 repository secrets" ||
		!strings.Contains(got[0].Detail, "100 writes (500 points") {
		t.Errorf("follow-ups from the plan: %+v", got)
	}
}
