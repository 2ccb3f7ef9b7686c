//go:build unix

package prompt

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/AlecAivazis/survey/v2/terminal"
)

// pollInterval is how long a read waits for a key before it looks at its
// context again: the longest a signal can wait at a prompt.
const pollInterval = 50 * time.Millisecond

// ctxReader reads a terminal until its context ends. It waits for input
// with poll(2), a short while at a time, and reads only what is there,
// so no read is left blocked (and no goroutine left holding the
// terminal) when a question ends early. It keeps the terminal's file
// descriptor, for survey's and x/term's mode changes.
type ctxReader struct {
	ctx context.Context
	f   terminal.FileReader
}

func (r *ctxReader) Fd() uintptr { return r.f.Fd() }

func (r *ctxReader) Read(p []byte) (int, error) {
	fds := []unix.PollFd{{Fd: int32(r.f.Fd()), Events: unix.POLLIN}}
	for {
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
		n, err := unix.Poll(fds, int(pollInterval/time.Millisecond))
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, err
		case n > 0 && fds[0].Revents != 0:
			if err := r.ctx.Err(); err != nil {
				return 0, err
			}
			return r.f.Read(p)
		}
	}
}
