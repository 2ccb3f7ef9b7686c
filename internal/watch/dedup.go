package watch

import "sync"

// dedup makes one response per alert and per key within this process:
// an alert already being handled is not handled twice at once (a second
// look is queued for when the first ends, since the alert may have
// changed), and an alert whose key (by its value's fingerprint) is already
// being responded to is attached to that response instead of starting
// another. Across processes and restarts the key lock of the playbook and
// the store do the same.
type dedup struct {
	mu     sync.Mutex
	alerts map[string]bool // alert -> another look wanted
	keys   map[string]*keyResponse
}

// keyResponse is a response running for one key.
type keyResponse struct {
	primary  string   // the alert it responds to
	attached []string // other alerts on the same key
}

func newDedup() *dedup {
	return &dedup{alerts: map[string]bool{}, keys: map[string]*keyResponse{}}
}

// enter claims an alert; false: it is being handled, and will be looked
// at again once that ends.
func (d *dedup) enter(ref string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, busy := d.alerts[ref]; busy {
		d.alerts[ref] = true
		return false
	}
	d.alerts[ref] = false
	return true
}

// leave releases an alert and reports whether another look was asked for
// meanwhile.
func (d *dedup) leave(ref string) (again bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	again = d.alerts[ref]
	delete(d.alerts, ref)
	return again
}

// claimKey starts the response for the key fp on alert ref, or attaches
// ref to the response already running for fp and returns its alert.
func (d *dedup) claimKey(fp, ref string) (primary string, started bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if kr, ok := d.keys[fp]; ok {
		if kr.primary != ref {
			kr.attached = append(kr.attached, ref)
		}
		return kr.primary, false
	}
	d.keys[fp] = &keyResponse{primary: ref}
	return ref, true
}

// releaseKey ends the response for fp and returns the alerts attached to
// it.
func (d *dedup) releaseKey(fp string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	kr := d.keys[fp]
	delete(d.keys, fp)
	if kr == nil {
		return nil
	}
	return kr.attached
}
