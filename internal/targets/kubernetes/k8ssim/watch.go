package k8ssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
)

// maxWatch bounds a watch's length, as the API server's request timeout
// does; clients watch again from the last resourceVersion they saw.
const maxWatch = 30 * time.Minute

// rolloutTick is how often a watch of Deployments looks at the
// simulator's clock while a rollout is under way.
const rolloutTick = 20 * time.Millisecond

// watchEvent is one line of a watch stream.
type watchEvent struct {
	Type   watch.EventType `json:"type"`
	Object any             `json:"object"`
}

// serveWatch streams the changes of a resource as the API server does:
// with no resourceVersion (or "0") a synthetic ADDED event for every
// object first; with sendInitialEvents=true those and then a BOOKMARK
// annotated k8s.io/initial-events-end; from a resourceVersion, every
// change after it (410 Expired in an ERROR event when it is too old).
func (s *Server) serveWatch(w http.ResponseWriter, r *http.Request, req request) {
	fs, ls, err := selectors(r, req.res)
	if err != nil {
		writeStatus(w, err)
		return
	}
	q := r.URL.Query()
	timeout := maxWatch
	if v := q.Get("timeoutSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeStatus(w, apierrors.NewBadRequest(fmt.Sprintf("invalid timeoutSeconds %q", v)))
			return
		}
		if n > 0 {
			timeout = min(timeout, time.Duration(n)*time.Second)
		}
	}
	sendInitial := q.Get("sendInitialEvents") == "true"
	rvParam := q.Get("resourceVersion")
	var from uint64
	if rvParam != "" && rvParam != "0" {
		if from, err = strconv.ParseUint(rvParam, 10, 64); err != nil {
			writeStatus(w, apierrors.NewBadRequest(fmt.Sprintf("invalid resource version %q", rvParam)))
			return
		}
	}

	s.mu.Lock()
	closed := s.streamsClosed
	s.advanceLocked()
	var initial []object
	last := from
	if sendInitial || rvParam == "" || rvParam == "0" {
		initial = s.listLocked(req.res, req.ns, fs, ls)
		last = s.rv
	}
	expired := last < s.expired
	startRV := s.rv
	wt := &watcher{res: req.res, notify: make(chan struct{}, 1), done: make(chan struct{})}
	s.watchers[wt] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.watchers, wt)
		s.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	send := func(typ watch.EventType, o any) bool {
		if err := enc.Encode(watchEvent{Type: typ, Object: o}); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if expired {
		st := statusOf(apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", from, s.expiredRV())))
		send(watch.Error, st)
		return
	}
	for _, o := range initial {
		if !send(watch.Added, o) {
			return
		}
	}
	if sendInitial {
		bm := req.res.newObject()
		bm.GetObjectKind().SetGroupVersionKind(req.res.gvk())
		bm.SetResourceVersion(strconv.FormatUint(startRV, 10))
		bm.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
		if !send(watch.Bookmark, bm) {
			return
		}
	}
	_ = rc.Flush()

	var tick <-chan time.Time
	if req.res == resDeployments {
		t := time.NewTicker(rolloutTick)
		defer t.Stop()
		tick = t.C
	}
	end := time.NewTimer(timeout)
	defer end.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-closed:
			return
		case <-wt.done:
			return
		case <-end.C:
			return
		case <-wt.notify:
		case <-tick:
		}
		evs, gone := s.eventsAfter(req, fs, ls, last)
		if gone {
			st := statusOf(apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", last, s.expiredRV())))
			send(watch.Error, st)
			return
		}
		for _, e := range evs {
			if !send(e.typ, e.obj) {
				return
			}
			last = e.rv
		}
	}
}

// eventsAfter moves rollouts on and returns the changes of a watch's
// objects after resourceVersion last; gone when some were forgotten.
func (s *Server) eventsAfter(req request, fs fields.Selector, ls labels.Selector, last uint64) ([]event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.res == resDeployments {
		s.advanceLocked()
	}
	if last < s.expired {
		return nil, true
	}
	var out []event
	for _, e := range s.events {
		if e.rv <= last || e.res != req.res {
			continue
		}
		if req.ns != "" && e.obj.GetNamespace() != req.ns {
			continue
		}
		if !matches(req.res, e.obj, fs, ls) {
			continue
		}
		out = append(out, event{rv: e.rv, typ: e.typ, res: e.res, obj: e.obj.DeepCopyObject().(object)})
	}
	return out, false
}

func (s *Server) expiredRV() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expired
}
