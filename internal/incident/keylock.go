package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/owned"
	"github.com/respondhq/respond/internal/step"
)

// KeyLocks are the locks that make one response per leaked key: a lock per
// name ("openai/key_abc", "alert/acme/api#1", a value's fingerprint) in
// <state dir>/locks, held by flock(2) until the process exits, so a killed
// responder never leaves one behind. It implements step.Locker.
type KeyLocks struct {
	Dir    string // <state dir>/locks
	Holder Holder // who takes them (with Incident set)

	mu   sync.Mutex
	held map[string]*os.File
}

var _ step.Locker = (*KeyLocks)(nil)

// NewKeyLocks returns the key locks of a state directory for holder.
func NewKeyLocks(stateDir string, holder Holder) *KeyLocks {
	return &KeyLocks{Dir: filepath.Join(stateDir, "locks"), Holder: holder, held: map[string]*os.File{}}
}

// KeyLockedError: another responder holds the lock of a key or alert.
type KeyLockedError struct {
	Name   string
	Holder Holder
}

func (e *KeyLockedError) Error() string {
	what := e.Name
	if rest, ok := strings.CutPrefix(e.Name, "alert/"); ok {
		what = "alert " + rest
	} else if strings.HasPrefix(e.Name, "sha256:") {
		what = "this key (by its value)"
	} else if p, k, ok := strings.Cut(e.Name, "/"); ok {
		what = p + " key " + k
	}
	next := "wait for that response to end, or join its responder"
	if e.Holder.Incident != "" {
		next += fmt.Sprintf("; `respond incidents` shows it, and if its process is gone `respond resume %s` continues it", e.Holder.Incident)
	}
	return fmt.Sprintf("%s is already being handled by %s: one response per key, so this one stops here and changed nothing; %s", what, e.Holder, next)
}

func (e *KeyLockedError) Unwrap() error { return step.ErrLocked }

// Lock takes every name, or none: when one is held by another responder
// the ones taken by this call are released and *KeyLockedError names the
// holder. Names this process holds already are skipped.
func (k *KeyLocks) Lock(_ context.Context, names []string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := os.MkdirAll(k.Dir, 0o700); err != nil {
		return fmt.Errorf("create the lock directory %s: %w (set --state-dir to a writable directory)", k.Dir, err)
	}
	if err := owned.Root(filepath.Dir(k.Dir), "state directory"); err != nil {
		return err
	}
	if err := owned.Dir(k.Dir, "locks directory"); err != nil {
		return err
	}
	var taken []string
	undo := func() {
		for _, n := range taken {
			k.release(n)
		}
	}
	for _, name := range names {
		if name == "" || k.held[name] != nil {
			continue
		}
		path := filepath.Join(k.Dir, lockFileName(name))
		f, err := owned.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600, "key lock", false)
		if err != nil {
			undo()
			if errors.Is(err, owned.ErrNotTrusted) {
				return err
			}
			return fmt.Errorf("open lock %s: %w", path, err)
		}
		if err := flock(f); err != nil {
			f.Close()
			undo()
			return &KeyLockedError{Name: name, Holder: readHolder(path)}
		}
		b, _ := json.Marshal(struct {
			Holder
			Name string `json:"name"`
		}{k.Holder, name})
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt(b, 0)
			_ = f.Sync()
		}
		k.held[name] = f
		taken = append(taken, name)
	}
	return nil
}

// readHolder reads who holds a lock file; the holder writes it just after
// taking the lock, so an empty file is read again for a moment.
func readHolder(path string) Holder {
	for range 20 {
		var rec struct {
			Holder
			Name string `json:"name"`
		}
		b, _ := os.ReadFile(path)
		if json.Unmarshal(b, &rec) == nil && rec.PID != 0 {
			return rec.Holder
		}
		time.Sleep(10 * time.Millisecond)
	}
	return Holder{User: "another respond process", Host: "this machine"}
}

func (k *KeyLocks) release(name string) {
	f := k.held[name]
	if f == nil {
		return
	}
	_ = f.Truncate(0)
	_ = funlock(f)
	_ = f.Close()
	delete(k.held, name)
}

// Release frees every lock.
func (k *KeyLocks) Release() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for name := range k.held {
		k.release(name)
	}
}

// lockFileName is a name's lock file: names hold '/' and '#'.
func lockFileName(name string) string {
	h := sha256.Sum256([]byte(name))
	return hex.EncodeToString(h[:12]) + ".lock"
}
