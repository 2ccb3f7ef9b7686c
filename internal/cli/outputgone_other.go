//go:build !unix

package cli

// outputGone is true where respond cannot tell: every SIGPIPE stops a
// run, as a closed output would.
func outputGone() bool { return true }
