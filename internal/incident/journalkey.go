package incident

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/owned"
)

// JournalKeyFile is the file of the state directory that holds the key
// sealing its incidents' journals (journal.Key): outside every incident
// directory, readable by its owner only.
const JournalKeyFile = "journal.key"

// ErrNoJournalKey is returned by JournalKey when the state directory has
// no key and none may be created.
var ErrNoJournalKey = errors.New("no journal key")

// JournalKey returns the key that seals the journals of the store's
// incidents (journal.Key.For gives an incident's). With create, a state
// directory without one gets a new random key (0600, written whole and
// fsynced before it is used); without, its absence is ErrNoJournalKey.
// A key file that is a link, another user's, or readable or writable by
// others is refused (internal/owned).
func (s *Store) JournalKey(create bool) (journal.Key, error) {
	path := filepath.Join(s.StateDir(), JournalKeyFile)
	if err := owned.Root(s.StateDir(), "state directory"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return journal.Key{}, err
	}
	for range 3 {
		b, err := owned.ReadFile(path, "journal key", true)
		switch {
		case err == nil:
			text := bytes.TrimSpace(b)
			raw, derr := hex.DecodeString(string(text))
			if derr == nil && len(raw) == journal.KeySize {
				return journal.NewKey(raw)
			}
			// A beginning of a key: a write a crash cut short.
			cut := len(text) < 2*journal.KeySize && len(bytes.Trim(text, "0123456789abcdef")) == 0
			if !create || !cut {
				return journal.Key{}, fmt.Errorf("the journal key %s is damaged (want %d hex-encoded bytes), so the journals of this state directory cannot be checked: restore it from a backup", path, journal.KeySize)
			}
			// A key is used only once it is whole on disk (writeNew): one
			// cut short by a crash never sealed anything. Make another.
			if err := os.Remove(path); err != nil {
				return journal.Key{}, fmt.Errorf("replace the damaged journal key %s: %w", path, err)
			}
			continue
		case !errors.Is(err, fs.ErrNotExist):
			return journal.Key{}, err
		case !create:
			return journal.Key{}, fmt.Errorf("%w: %s does not exist, so the journals of this state directory cannot be checked", ErrNoJournalKey, path)
		}
		if err := os.MkdirAll(s.StateDir(), 0o700); err != nil {
			return journal.Key{}, fmt.Errorf("create state directory %s: %w (set --state-dir or RESPOND_STATE_DIR to a writable directory)", s.StateDir(), err)
		}
		if err := owned.Root(s.StateDir(), "state directory"); err != nil {
			return journal.Key{}, err
		}
		key := journal.GenerateKey()
		err = writeNew(path, []byte(hex.EncodeToString(key.Bytes())+"\n"))
		if err == nil {
			return key, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return journal.Key{}, fmt.Errorf("create the journal key %s: %w", path, err)
		}
		// Another respond created it meanwhile: read theirs.
	}
	return journal.Key{}, fmt.Errorf("could not read or create the journal key %s", path)
}

// writeNew creates path (which must not exist) with data, fsynced, and
// fsyncs its directory. A write cut short by a crash leaves a damaged key
// file that sealed nothing: the key is used only once it is whole on disk.
func writeNew(path string, data []byte) error {
	f, err := owned.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600, "journal key", true)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
