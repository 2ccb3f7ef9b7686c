//go:build !linux

package cli

// harden does nothing outside Linux: there is no portable way to keep
// processes of the same user out of respond's memory.
func harden(string) {}
