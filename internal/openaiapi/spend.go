package openaiapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/openai/openai-go/v3"

	"github.com/respondhq/respond/internal/textsafe"
)

// SpendControls reads a project's hard spend limit and its spend alerts
// (all pages). A 404 on the spend limit means no limit is set (the spec
// documents only 200; the simulator answers 404 for a project without one,
// as OpenAI does for absent objects). A project that does not exist is an
// error wrapping step.ErrNotFound, from the alerts list.
func (c *Client) SpendControls(ctx context.Context, projectID string) (SpendControls, error) {
	var sc SpendControls
	lim, err := c.org.Projects.SpendLimit.Get(ctx, projectID, c.retry())
	switch {
	case err == nil:
		sc.Limit = &SpendLimit{
			AmountCents: lim.ThresholdAmount,
			Currency:    textsafe.Line(string(lim.Currency)),
			Interval:    textsafe.Line(string(lim.Interval)),
			Enforcement: textsafe.Line(string(lim.Enforcement.Status)),
		}
	case isStatus(err, 404):
	default:
		return sc, apiError(fmt.Sprintf("reading the spend limit of OpenAI project %s", projectID), err)
	}
	params := openai.AdminOrganizationProjectSpendAlertListParams{Limit: openai.Int(listPageSize)}
	for page := 0; ; page++ {
		if page > 1000 {
			return sc, fmt.Errorf("openai: listing the spend alerts of project %s: the API kept returning has_more after %d pages", projectID, page)
		}
		res, err := c.org.Projects.SpendAlerts.List(ctx, projectID, params, c.retry())
		if err != nil {
			return sc, apiError(fmt.Sprintf("listing the spend alerts of OpenAI project %s", projectID), err)
		}
		for _, a := range res.Data {
			sc.Alerts = append(sc.Alerts, SpendAlert{
				ID:          textsafe.Line(a.ID),
				AmountCents: a.ThresholdAmount,
				Currency:    textsafe.Line(string(a.Currency)),
				Interval:    textsafe.Line(string(a.Interval)),
				Recipients:  len(a.NotificationChannel.Recipients),
			})
		}
		if !res.HasMore || len(res.Data) == 0 {
			return sc, nil
		}
		params.After = openai.String(res.Data[len(res.Data)-1].ID)
	}
}

// isStatus reports whether err is an API answer with the given status.
func isStatus(err error, status int) bool {
	var ae *openai.Error
	return errors.As(err, &ae) && ae.StatusCode == status
}
