package githubapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/owned"
)

// The public-key cache keeps the sealed-box public keys of secret scopes
// across runs, in a file of the state directory (Config.KeyCache), so a
// response to a leaked key can write a repository's secret with one
// request (the write) instead of two. Keys are public, but the file is
// kept 0600 like everything respond writes there.
//
// The file is JSON lines, appended to as keys are fetched (appends of one
// short line are atomic, so two processes may share it); a later line for
// the same host and scope replaces an earlier one. A key GitHub has
// rotated since is refused with 422 when a secret sealed for it is
// written: the client then drops it, fetches the current key and the
// caller retries once (GitHubSecretWriter.Write). Lines that do not parse
// or do not hold a 32-byte key are ignored: the file is input like any
// other. A cache file that is a symbolic link, another user's, or
// writable by others is not used at all (internal/owned): a key planted
// there would have respond seal secrets to it; the client says so
// (Config.Warn) and reads every key from GitHub.

// keyLine is one line of the cache file.
type keyLine struct {
	Host  string `json:"host"`  // API host, e.g. api.github.com
	Scope string `json:"scope"` // the scope's secrets path, lower-case, e.g. repos/acme/api/actions/secrets
	KeyID string `json:"key_id"`
	Key   string `json:"key"` // base64
	At    string `json:"at,omitempty"`
}

// Bounds of the cache file: lines longer than maxKeyLine are ignored, and
// a file with many more lines than keys (or more than maxKeys keys) is
// rewritten with the newest maxKeys.
const (
	maxKeyLine = 4096
	maxKeys    = 20000
)

// parseKeyLines reads a cache file's content and returns host's keys by
// scope (the last line for a scope wins), with the number of usable lines
// for any host.
func parseKeyLines(data []byte, host string) (keys map[string]PublicKey, lines int) {
	keys = map[string]PublicKey{}
	for _, raw := range usableLines(data) {
		var l keyLine
		if json.Unmarshal(raw, &l) != nil {
			continue
		}
		pk, ok := l.key()
		if !ok {
			continue
		}
		lines++
		if strings.EqualFold(l.Host, host) {
			keys[strings.ToLower(l.Scope)] = pk
		}
	}
	return keys, lines
}

// usableLines splits data into lines, leaving out empty ones and those
// longer than maxKeyLine.
func usableLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		if n := len(bytes.TrimSpace(line)); n > 0 && n <= maxKeyLine {
			out = append(out, line)
		}
		data = rest
	}
	return out
}

// key validates a line and returns its key.
func (l keyLine) key() (PublicKey, bool) {
	if l.Host == "" || l.Scope == "" || l.KeyID == "" || len(l.KeyID) > 256 || len(l.Scope) > 1024 {
		return PublicKey{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(l.Key)
	if err != nil || len(raw) != 32 {
		return PublicKey{}, false
	}
	pk := PublicKey{ID: l.KeyID}
	copy(pk.Key[:], raw)
	return pk, true
}

// keyFile is the cache file as one client uses it: loaded once, appended
// to as keys are fetched.
type keyFile struct {
	path string
	host string
	warn func(string)

	once    sync.Once
	mu      sync.Mutex
	keys    map[string]PublicKey // by lower-case scope path
	err     error                // the last error writing the file (reads that fail leave the cache empty)
	refused bool                 // the file is not trusted: neither read nor written
}

func newKeyFile(path, host string, warn func(string)) *keyFile {
	if path == "" {
		return nil
	}
	if warn == nil {
		warn = func(string) {}
	}
	return &keyFile{path: path, host: host, warn: warn}
}

func (k *keyFile) load() {
	k.once.Do(func() {
		k.keys = map[string]PublicKey{}
		data, err := owned.ReadFile(k.path, "public-key cache", false)
		if errors.Is(err, owned.ErrNotTrusted) {
			k.refused = true
			k.warn(err.Error() + " (respond reads every public key from GitHub instead, and leaves the file alone)")
			return
		}
		if err != nil {
			return
		}
		keys, lines := parseKeyLines(data, k.host)
		k.keys = keys
		if lines > 2*len(keys)+1000 || lines > maxKeys {
			k.compact(data)
		}
	})
}

// get returns the cached key of scope.
func (k *keyFile) get(scope string) (PublicKey, bool) {
	if k == nil {
		return PublicKey{}, false
	}
	k.load()
	k.mu.Lock()
	defer k.mu.Unlock()
	pk, ok := k.keys[scope]
	return pk, ok
}

// drop forgets scope's key for the rest of the run (GitHub refused it);
// the next fetch appends the current one, which then wins.
func (k *keyFile) drop(scope string) {
	if k == nil {
		return
	}
	k.load()
	k.mu.Lock()
	delete(k.keys, scope)
	k.mu.Unlock()
}

// put records a fetched key and appends it to the file. Failing to write
// the cache never fails the request: the key is in hand.
func (k *keyFile) put(scope string, pk PublicKey) {
	if k == nil {
		return
	}
	k.load()
	line, err := json.Marshal(keyLine{Host: k.host, Scope: scope, KeyID: pk.ID,
		Key: base64.StdEncoding.EncodeToString(pk.Key[:]), At: time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[scope] = pk
	if !k.refused {
		k.err = appendLine(k.path, append(line, '\n'))
	}
}

func appendLine(path string, line []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := owned.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600, "public-key cache", false)
	if err != nil {
		return err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		_ = f.Chmod(0o600)
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// compact rewrites the file with one line per host and scope, the newest
// maxKeys of them (atomically: a concurrent reader sees the old file or
// the new one).
func (k *keyFile) compact(data []byte) {
	type entry struct {
		line keyLine
		n    int
	}
	latest := map[string]entry{}
	n := 0
	for _, raw := range usableLines(data) {
		var l keyLine
		if json.Unmarshal(raw, &l) != nil {
			continue
		}
		if _, ok := l.key(); !ok {
			continue
		}
		n++
		latest[strings.ToLower(l.Host)+" "+strings.ToLower(l.Scope)] = entry{l, n}
	}
	list := make([]entry, 0, len(latest))
	for _, e := range latest {
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n < list[j].n })
	if len(list) > maxKeys {
		list = list[len(list)-maxKeys:]
	}
	var buf bytes.Buffer
	for _, e := range list {
		b, err := json.Marshal(e.line)
		if err != nil {
			continue
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	tmp, err := os.CreateTemp(filepath.Dir(k.path), "."+filepath.Base(k.path)+".*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(buf.Bytes())
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), k.path)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		k.err = fmt.Errorf("compact the public-key cache %s: %w", k.path, err)
	}
}
