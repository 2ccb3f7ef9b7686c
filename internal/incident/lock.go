package incident

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/owned"
)

// Holder says who holds an incident's lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	User    string    `json:"user"`
	Since   time.Time `json:"since"`
	Command string    `json:"command"`
	// Incident is the incident the holder works on (key locks).
	Incident string `json:"incident,omitempty"`
}

func (h Holder) String() string {
	s := fmt.Sprintf("%s (pid %d on %s, since %s, running %q)", h.User, h.PID, h.Host, h.Since.Local().Format("15:04:05 MST"), h.Command)
	if h.Incident != "" {
		s += " in incident " + h.Incident
	}
	return s
}

// Me describes this process as a lock holder.
func Me(command string) Holder {
	host, _ := os.Hostname()
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return Holder{PID: os.Getpid(), Host: host, User: name, Since: time.Now().UTC(), Command: command}
}

// LockedError is returned when another responder holds the incident.
type LockedError struct {
	ID     string
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("incident %s is being worked on by %s; wait for that run to finish, or stop it, then run `respond resume %s`", e.ID, e.Holder, e.ID)
}

// Lock is a held incident lock. The lock is an flock(2) on a file in the
// incident directory, so the kernel releases it when its holder dies,
// even by SIGKILL: a crashed run never leaves a stale lock behind.
type Lock struct {
	f *os.File
}

// Lock takes the incident's lock for holder, or returns *LockedError naming
// the current holder.
func (i *Incident) Lock(holder Holder) (*Lock, error) {
	path := filepath.Join(i.Dir, "lock")
	f, err := owned.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600, "incident lock", false)
	if errors.Is(err, owned.ErrNotTrusted) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := flock(f); err != nil {
		defer f.Close()
		var h Holder
		b, _ := os.ReadFile(path)
		if json.Unmarshal(b, &h) != nil || h.PID == 0 {
			h = Holder{User: "another respond process", Host: "this machine", Command: strings.TrimSpace(string(b))}
		}
		return nil, &LockedError{ID: i.ID, Holder: h}
	}
	b, _ := json.Marshal(holder)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(b, 0)
		_ = f.Sync()
	}
	return &Lock{f: f}, nil
}

// Held reports whether a live process holds the incident's lock (a
// journal that says "running" with no holder is an interrupted run).
func (i *Incident) Held() bool {
	f, err := owned.OpenFile(filepath.Join(i.Dir, "lock"), os.O_RDWR, 0, "incident lock", false)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := flock(f); err != nil {
		return true
	}
	_ = funlock(f)
	return false
}

// Release frees the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := funlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
