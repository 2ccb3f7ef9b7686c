//go:build !unix

package dotenv

import (
	"errors"
	"os"
)

// writable approximates access(2) with the permission bits.
func writable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o200 == 0 {
		return errors.New("permission denied")
	}
	return nil
}

// readable approximates access(2) with the permission bits.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}
