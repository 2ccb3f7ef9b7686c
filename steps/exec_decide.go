package steps

import "github.com/respondhq/respond/internal/step"

var _ step.ReconcileDecider = Exec{}

// CanReconcile implements step.ReconcileDecider: after a crash, exec can
// tell whether its effect is in place only with `creates` or `unless`.
func (Exec) CanReconcile(c *step.Call) bool {
	return c.String("creates") != "" || len(c.List("unless")) > 0
}
