package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/journal"
)

// A live drill of watch-beside: respond watch runs on a twin of the
// world, where it revokes the leaked key, recovers and resolves the alert
// with no person (the twin's world and request log say so), while the
// trainee responds on the drill's own world, which watch never touches.
// The debrief sets watch's containment beside the trainee's.
func TestDrillWatchBeside(t *testing.T) {
	sc, _, _, err := drill.Load("watch-beside")
	if err != nil {
		t.Fatal(err)
	}
	sc.World.RunDuration = 300 * time.Millisecond
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IO: ios, Output: "text", Yes: true, retrySleep: fastRetries}
	f.UseEnv(func(string) string { return "" })
	dir := filepath.Join(t.TempDir(), "drill")
	d, err := drill.Start(t.Context(), drill.Config{Scenario: sc, Dir: dir, Mode: drill.Live, Facilitator: "carol",
		Responder: drillResponder(f), Watcher: drillWatcher(f)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	twin := d.Twin()
	if twin == nil {
		t.Fatal("no twin world: respond watch is not beside the trainees")
	}
	if !strings.HasPrefix(twin.Dir(), filepath.Join(dir, drill.FacilitatorDir)) {
		t.Errorf("the twin world is in %s, outside the facilitator's directory", twin.Dir())
	}
	leaked := twin.Info().LeakedKeyID
	deadline := time.Now().Add(60 * time.Second)
	for !twin.Status().Contained || twin.Status().AlertsOpen > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("respond watch never contained the twin's leak: %+v", twin.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Who revoked the twin's key: watch, by its own credentials.
	revokedBy := ""
	for _, q := range twin.Sim().Requests(0) {
		if q.Method == http.MethodDelete && strings.HasSuffix(q.Path, "/"+leaked) && q.Status < 300 {
			revokedBy = q.Actor
		}
	}
	if revokedBy != drill.WatchPerson {
		t.Fatalf("the twin's key %s was revoked by %q, want %q", leaked, revokedBy, drill.WatchPerson)
	}
	// The drill's own world: nothing watch did reaches it.
	for _, q := range d.Sim().Requests(0) {
		if q.Actor == drill.WatchPerson {
			t.Fatalf("respond watch sent a request to the trainees' world: %+v", q)
		}
	}
	if st := d.Status(); !st.AttackerActive || st.Contained {
		t.Fatalf("the trainees' world was contained before they acted: %+v", st)
	}

	// The trainee responds.
	if err := d.Play(t.Context(), sc.Ideal, drill.Player{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	res, err := d.End("carol")
	if err != nil {
		t.Fatal(err)
	}
	if res.Watch == nil || res.WatchError != "" {
		t.Fatalf("no score of respond watch: %q", res.WatchError)
	}
	if f := res.Watch.Facts; !f.Contained || len(f.StaleTargets) > 0 || len(f.Reports) != 1 || f.Reports[0].Trainee != drill.WatchPerson || f.Reports[0].Verdict != "recovered" {
		t.Fatalf("respond watch's twin world: contained %v, stale %v, reports %+v", f.Contained, f.StaleTargets, f.Reports)
	}
	if f := res.Score.Facts; !f.Contained || len(f.Reports) != 1 || f.Reports[0].Trainee != "alice" {
		t.Fatalf("the trainees' world: contained %v, reports %+v", f.Contained, f.Reports)
	}
	// Watch's incident is in the twin's state directory, journaled as
	// respond watch's.
	ids, err := incident.NewStore(filepath.Join(twin.Dir(), drill.StateDir)).IDs()
	if err != nil || len(ids) != 1 {
		t.Fatalf("the twin's incidents: %v %v", ids, err)
	}
	inc, err := incident.NewStore(filepath.Join(twin.Dir(), drill.StateDir)).Open(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	recs, err := journal.ReadFile(inc.JournalPath())
	if err != nil || len(recs) == 0 || recs[0].Data["responder"] != "respond watch" {
		t.Fatalf("watch's journal: %v %+v", err, recs[:min(1, len(recs))])
	}

	md, err := os.ReadFile(filepath.Join(dir, "debrief.md"))
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		t.Logf("%s", md)
	}
	for _, want := range []string{"## Beside respond watch", "a policy of `respond` for every alert", "**respond watch contained the leak ",
		"; you contained it ", "| measure | this drill | respond watch |", "| time to contain |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the debrief lacks %q:\n%s", want, md)
		}
	}
}
