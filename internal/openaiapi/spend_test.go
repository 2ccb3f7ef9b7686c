package openaiapi_test

import (
	"context"
	"errors"
	"github.com/respondhq/respond/internal/step"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/openaiapi"
	"github.com/respondhq/respond/internal/sim/openaisim"
)

// TestSpendControlsAgainstSimulator reads a project's spend limit and
// alerts through the real client and the simulator: none, then some, over
// more than one page of alerts.
func TestSpendControlsAgainstSimulator(t *testing.T) {
	s := openaisim.New(openaisim.Options{})
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if _, err := s.AddProject("proj_main", "Main", t0); err != nil {
		t.Fatal(err)
	}
	admin, err := s.AddAdminKey("ops", t0)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c, err := openaiapi.New(openaiapi.Config{BaseURL: ts.URL + "/v1", AdminKey: admin.Value})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	sc, err := c.SpendControls(ctx, "proj_main")
	if err != nil || sc.Limit != nil || len(sc.Alerts) != 0 {
		t.Fatalf("no controls: %+v, %v", sc, err)
	}
	if err := s.SetSpendLimit("proj_main", 25000); err != nil {
		t.Fatal(err)
	}
	for i := range 105 {
		if _, err := s.AddSpendAlert("proj_main", int64(100*(i+1)), "a@example.com", "b@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	sc, err = c.SpendControls(ctx, "proj_main")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Limit == nil || sc.Limit.AmountCents != 25000 || sc.Limit.Currency != "USD" || sc.Limit.Enforcement != "enforcing" {
		t.Errorf("limit %+v", sc.Limit)
	}
	if len(sc.Alerts) != 105 || sc.Alerts[104].AmountCents != 10500 || sc.Alerts[0].Recipients != 2 {
		t.Errorf("%d alerts, first %+v", len(sc.Alerts), sc.Alerts[0])
	}

	_, err = c.SpendControls(ctx, "proj_missing")
	if !errors.Is(err, step.ErrNotFound) {
		t.Errorf("unknown project: %v", err)
	}
}
