package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// WorkflowRequest changes a workflow of the simulated GitHub: what POST
// /_sim/workflows takes. Repo and Workflow (a file name or ID) are
// required; every other field is optional and left unchanged when absent.
type WorkflowRequest struct {
	Repo     string `json:"repo"`     // OWNER/NAME
	Workflow string `json:"workflow"` // deploy.yml, or its ID
	// WorkflowDispatch declares (true) or removes (false) the
	// workflow_dispatch trigger.
	WorkflowDispatch *bool `json:"workflow_dispatch,omitempty"`
	// Inputs replaces the trigger's declared inputs.
	Inputs *[]githubsim.WorkflowInput `json:"inputs,omitempty"`
	// Environment is the deployment environment its job runs in ("" for
	// none), whose secrets its runs see.
	Environment *string `json:"environment,omitempty"`
	// RunDuration and Conclusion apply to runs dispatched from now on.
	RunDuration *Duration `json:"run_duration,omitempty"`
	Conclusion  *string   `json:"conclusion,omitempty"`
}

// WorkflowInfo is a workflow with its repository, as GET /_sim/workflows
// lists them.
type WorkflowInfo struct {
	Repo string `json:"repo"`
	githubsim.WorkflowState
}

// ConfigureWorkflow changes a workflow (see WorkflowRequest) and returns
// it. Errors wrap githubsim.ErrNotFound for an unknown repository or
// workflow.
func (s *Sim) ConfigureWorkflow(req WorkflowRequest) (WorkflowInfo, error) {
	owner, name, ok := strings.Cut(req.Repo, "/")
	if !ok || owner == "" || name == "" || req.Workflow == "" {
		return WorkflowInfo{}, fmt.Errorf("give the workflow's repo (OWNER/NAME) and workflow (a file name such as deploy.yml, or its ID)")
	}
	cfg := githubsim.WorkflowConfig{Dispatch: req.WorkflowDispatch, Inputs: req.Inputs, Environment: req.Environment, Conclusion: req.Conclusion}
	if req.RunDuration != nil {
		d := time.Duration(*req.RunDuration)
		cfg.RunDuration = &d
	}
	s.world.RLock()
	defer s.world.RUnlock()
	st, err := s.github.ConfigureWorkflow(owner, name, req.Workflow, cfg)
	if err != nil {
		return WorkflowInfo{}, err
	}
	return WorkflowInfo{Repo: owner + "/" + name, WorkflowState: st}, nil
}

// Workflows lists every workflow of the simulated GitHub.
func (s *Sim) Workflows() []WorkflowInfo {
	s.world.RLock()
	st := s.github.Snapshot()
	s.world.RUnlock()
	out := []WorkflowInfo{}
	for _, r := range st.Repos {
		for _, wf := range r.Workflows {
			out = append(out, WorkflowInfo{Repo: r.Owner + "/" + r.Name, WorkflowState: wf})
		}
	}
	return out
}
