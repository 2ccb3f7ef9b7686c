//go:build !unix

package prompt

import (
	"context"

	"github.com/AlecAivazis/survey/v2/terminal"
)

// ctxReader reads a terminal. Without poll(2) a read cannot be abandoned:
// it looks at its context before each read only.
type ctxReader struct {
	ctx context.Context
	f   terminal.FileReader
}

func (r *ctxReader) Fd() uintptr { return r.f.Fd() }

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.f.Read(p)
}
