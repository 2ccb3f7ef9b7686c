//go:build unix

package cli

import "golang.org/x/sys/unix"

// outputGone reports whether respond's standard output or standard error
// has nobody reading it any more: a pipe whose reader exited (`respond …
// | head`, once head is gone) or a socket whose peer hung up. A SIGPIPE
// stops a run only then: a write to any other socket whose peer went away
// (a client hanging up on `respond sim serve`, a server closing a
// kept-alive connection) raises SIGPIPE as well, and that write's own
// EPIPE error is handled where it happened.
func outputGone() bool { return fdGone(1) || fdGone(2) }

// fdGone reports whether poll says the descriptor's other end is gone
// (POLLERR: a pipe with no reader; POLLHUP: a hung-up socket or
// terminal).
func fdGone(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd)}}
	n, err := unix.Poll(fds, 0)
	r := fds[0].Revents
	return err == nil && n > 0 && r&unix.POLLNVAL == 0 && r&(unix.POLLERR|unix.POLLHUP) != 0
}
