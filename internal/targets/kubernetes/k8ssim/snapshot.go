package k8ssim

import (
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
)

// Snapshot is the fake cluster's world for /_sim/state: every namespace,
// Secret (values in the clear), Deployment with its rollout, Lease, and
// user with the context Env names it by. Lists are sorted; times are
// RFC 3339 UTC.
type Snapshot struct {
	ResourceVersion string               `json:"resource_version"`
	Users           []SnapshotUser       `json:"users"`
	Namespaces      []string             `json:"namespaces"`
	Secrets         []SnapshotSecret     `json:"secrets"`
	Deployments     []SnapshotDeployment `json:"deployments"`
	Leases          []SnapshotLease      `json:"leases"`
}

// SnapshotUser is a user of the cluster (its token is in the kubeconfig).
type SnapshotUser struct {
	Name    string `json:"name"`
	Context string `json:"context"`
	// Rights are its rules, "verbs on group/resources".
	Rights []string `json:"rights"`
}

// SnapshotSecret is a Secret.
type SnapshotSecret struct {
	Namespace       string            `json:"namespace"`
	Name            string            `json:"name"`
	UID             string            `json:"uid"`
	ResourceVersion string            `json:"resource_version"`
	Type            string            `json:"type"`
	Immutable       bool              `json:"immutable,omitempty"`
	Data            map[string]string `json:"data"`
}

// SnapshotDeployment is a Deployment and its rollout.
type SnapshotDeployment struct {
	Namespace          string `json:"namespace"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	ResourceVersion    string `json:"resource_version"`
	Generation         int64  `json:"generation"`
	ObservedGeneration int64  `json:"observed_generation"`
	Revision           int64  `json:"revision"`
	Replicas           int32  `json:"replicas"`
	UpdatedReplicas    int32  `json:"updated_replicas"`
	ReadyReplicas      int32  `json:"ready_replicas"`
	AvailableReplicas  int32  `json:"available_replicas"`
	// RestartedAt is the template's kubectl.kubernetes.io/restartedAt.
	RestartedAt string `json:"restarted_at,omitempty"`
	// RolloutStarted is when the latest rollout started; RolloutComplete
	// whether it completed; RolloutCompletedAt when the latest completed
	// rollout did (what RolloutValue reads the Secrets at).
	RolloutStarted     string  `json:"rollout_started,omitempty"`
	RolloutSeconds     float64 `json:"rollout_seconds"`
	RolloutComplete    bool    `json:"rollout_complete"`
	RolloutStalled     bool    `json:"rollout_stalled,omitempty"`
	RolloutCompletedAt string  `json:"rollout_completed_at,omitempty"`
}

// SnapshotLease is a Lease.
type SnapshotLease struct {
	Namespace            string `json:"namespace"`
	Name                 string `json:"name"`
	ResourceVersion      string `json:"resource_version"`
	Holder               string `json:"holder,omitempty"`
	LeaseDurationSeconds int32  `json:"lease_duration_seconds,omitempty"`
	AcquireTime          string `json:"acquire_time,omitempty"`
	RenewTime            string `json:"renew_time,omitempty"`
	Transitions          int32  `json:"transitions"`
}

// Snapshot returns the world (a *Snapshot).
func (s *Server) Snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureUsersLocked()
	s.advanceLocked()
	out := &Snapshot{ResourceVersion: s.currentRV(), Users: []SnapshotUser{}, Namespaces: []string{},
		Secrets: []SnapshotSecret{}, Deployments: []SnapshotDeployment{}, Leases: []SnapshotLease{}}
	for _, u := range s.userList() {
		su := SnapshotUser{Name: u.name, Context: u.context}
		for _, r := range u.rules {
			su.Rights = append(su.Rights, rightsText(r))
		}
		out.Users = append(out.Users, su)
	}
	for _, o := range s.listLocked(resNamespaces, "", nil, nil) {
		out.Namespaces = append(out.Namespaces, o.GetName())
	}
	for _, o := range s.listLocked(resSecrets, "", nil, nil) {
		x := o.(*corev1.Secret)
		data := make(map[string]string, len(x.Data))
		for k, v := range x.Data {
			data[k] = string(v)
		}
		out.Secrets = append(out.Secrets, SnapshotSecret{Namespace: x.Namespace, Name: x.Name, UID: string(x.UID),
			ResourceVersion: x.ResourceVersion, Type: string(x.Type), Immutable: x.Immutable != nil && *x.Immutable, Data: data})
	}
	for _, o := range s.listLocked(resDeployments, "", nil, nil) {
		x := o.(*appsv1.Deployment)
		sd := SnapshotDeployment{Namespace: x.Namespace, Name: x.Name, UID: string(x.UID), ResourceVersion: x.ResourceVersion,
			Generation: x.Generation, ObservedGeneration: x.Status.ObservedGeneration, Replicas: replicas(x),
			UpdatedReplicas: x.Status.UpdatedReplicas, ReadyReplicas: x.Status.ReadyReplicas, AvailableReplicas: x.Status.AvailableReplicas,
			RestartedAt: x.Spec.Template.Annotations[RestartedAtAnnotation]}
		if st := s.deploys[key(x.Namespace, x.Name)]; st != nil {
			sd.Revision = st.revision
			sd.RolloutStarted = stamp(st.start)
			sd.RolloutSeconds = st.duration.Seconds()
			sd.RolloutComplete = !st.rolling
			sd.RolloutStalled = st.stalled
			if st.completed {
				sd.RolloutCompletedAt = stamp(st.completedAt)
			}
		}
		out.Deployments = append(out.Deployments, sd)
	}
	for _, o := range s.listLocked(resLeases, "", nil, nil) {
		x := o.(*coordinationv1.Lease)
		sl := SnapshotLease{Namespace: x.Namespace, Name: x.Name, ResourceVersion: x.ResourceVersion}
		if x.Spec.HolderIdentity != nil {
			sl.Holder = *x.Spec.HolderIdentity
		}
		if x.Spec.LeaseDurationSeconds != nil {
			sl.LeaseDurationSeconds = *x.Spec.LeaseDurationSeconds
		}
		if x.Spec.AcquireTime != nil {
			sl.AcquireTime = stamp(x.Spec.AcquireTime.Time)
		}
		if x.Spec.RenewTime != nil {
			sl.RenewTime = stamp(x.Spec.RenewTime.Time)
		}
		if x.Spec.LeaseTransitions != nil {
			sl.Transitions = *x.Spec.LeaseTransitions
		}
		out.Leases = append(out.Leases, sl)
	}
	return out
}

func rightsText(r rule) string {
	gs := make([]string, len(r.groups))
	for i, g := range r.groups {
		if g == "" {
			g = "core"
		}
		gs[i] = g
	}
	sort.Strings(gs)
	return join(r.verbs) + " on " + join(gs) + "/" + join(r.resources)
}

func join(list []string) string {
	out := ""
	for i, v := range list {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
