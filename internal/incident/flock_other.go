//go:build !unix

package incident

import (
	"errors"
	"os"
)

// Without flock(2) an incident is locked by the exclusive creation of a
// marker file; a crashed run leaves it behind and it must be removed by hand.
func flock(f *os.File) error {
	m, err := os.OpenFile(f.Name()+".held", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return errors.New("locked")
	}
	return m.Close()
}

func funlock(f *os.File) error { return os.Remove(f.Name() + ".held") }
