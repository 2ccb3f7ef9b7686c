// Package incident manages incidents on disk: one directory per run of a
// playbook under the state directory, holding its journal, its lock and
// its reports.
package incident

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/owned"
)

// Incident is one incident directory.
type Incident struct {
	ID  string
	Dir string
}

// JournalPath is the path of the incident's journal.
func (i *Incident) JournalPath() string { return filepath.Join(i.Dir, journal.FileName) }

// Store is the incidents directory of a state dir.
type Store struct {
	Root string // <state dir>/incidents
}

// DefaultStateDir is $RESPOND_STATE_DIR, else $XDG_STATE_HOME/respond,
// else ~/.local/state/respond.
func DefaultStateDir() string {
	if d := os.Getenv("RESPOND_STATE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "respond")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "respond")
	}
	return filepath.Join(os.TempDir(), "respond-state")
}

// NewStore returns the store under stateDir.
func NewStore(stateDir string) *Store {
	return &Store{Root: filepath.Join(stateDir, "incidents")}
}

var idPattern = regexp.MustCompile(`^INC-\d{8}-\d{6}-[0-9a-f]{4}$`)

// NewID returns an ID such as INC-20261127-161200-ab12 for time t (UTC).
func NewID(t time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return "INC-" + t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// StateDir is the state directory the store is in.
func (s *Store) StateDir() string { return filepath.Dir(s.Root) }

// check refuses a state directory or incidents directory that another
// user owns or may write (owned): whoever can write there can plant an
// incident or change a journal. A directory that does not exist is an
// error matching fs.ErrNotExist.
func (s *Store) check() error {
	if err := owned.Root(s.StateDir(), "state directory"); err != nil {
		return err
	}
	return owned.Dir(s.Root, "incidents directory")
}

// Create makes a new incident directory (mode 0700: it holds evidence).
func (s *Store) Create(now time.Time) (*Incident, error) {
	if err := os.MkdirAll(s.Root, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w (set --state-dir or RESPOND_STATE_DIR to a writable directory)", s.Root, err)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	for range 5 {
		id := NewID(now)
		dir := filepath.Join(s.Root, id)
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			return &Incident{ID: id, Dir: dir}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create incident directory %s: %w", dir, err)
		}
	}
	return nil, fmt.Errorf("could not pick a free incident ID in %s", s.Root)
}

// ErrNotFound is returned by Open for an unknown incident.
var ErrNotFound = errors.New("incident not found")

// Open returns an existing incident. id may be any unique part of an ID
// (its random end, its date, its time; case does not matter); a part
// that matches several incidents is an error that lists them.
func (s *Store) Open(id string) (*Incident, error) {
	if err := s.check(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if idPattern.MatchString(id) {
		dir := filepath.Join(s.Root, id)
		if _, err := os.Lstat(filepath.Join(dir, journal.FileName)); err != nil {
			return nil, fmt.Errorf("%w: %s has no incident %s (list them with `respond incidents`)", ErrNotFound, s.Root, id)
		}
		return s.opened(id, dir)
	}
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	// Any part of the ID, in any case: its random end, its date, its time.
	var match []string
	part := strings.ToLower(strings.TrimSpace(id))
	for _, c := range ids {
		if part != "" && strings.Contains(strings.ToLower(c), part) {
			match = append(match, c)
		}
	}
	switch len(match) {
	case 1:
		dir := filepath.Join(s.Root, match[0])
		if _, err := os.Lstat(filepath.Join(dir, journal.FileName)); err != nil {
			return nil, fmt.Errorf("%w: %s matches incident %s, which has no journal (list incidents with `respond incidents`)", ErrNotFound, id, match[0])
		}
		return s.opened(match[0], dir)
	case 0:
		return nil, fmt.Errorf("%w: no incident ID contains %q in %s (list them with `respond incidents`)", ErrNotFound, id, s.Root)
	default:
		shown := match
		more := ""
		if len(match) > 10 {
			// The newest, which are the likeliest.
			shown, more = match[len(match)-10:], fmt.Sprintf(", and %d older", len(match)-10)
		}
		return nil, fmt.Errorf("%q matches %d incidents (%s%s); give more of the ID", id, len(match), strings.Join(shown, ", "), more)
	}
}

// opened is incident id in dir, once dir is checked (owned).
func (s *Store) opened(id, dir string) (*Incident, error) {
	if err := owned.Dir(dir, "incident directory"); err != nil {
		return nil, err
	}
	return &Incident{ID: id, Dir: dir}, nil
}

// IDs lists incident IDs, oldest first. A state directory or incidents
// directory that another user owns or may write is refused (owned).
func (s *Store) IDs() ([]string, error) {
	if err := s.check(); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(s.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Root, err)
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && idPattern.MatchString(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}
