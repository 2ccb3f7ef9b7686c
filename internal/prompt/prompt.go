// Package prompt asks the responder questions on a terminal. Commands and
// the engine depend on the Prompter interface; tests use a scripted fake.
//
// Every question ends when its context does: a signal (SIGTERM, a
// hang-up, Ctrl-C sent by kill) stops a run at a prompt as promptly as
// anywhere else. No question asks the terminal where its cursor is (the
// "\x1b[6n" query): a terminal that never answers it (`script`, some
// serial consoles and multiplexers) would otherwise hang the prompt and
// swallow what is typed.
package prompt

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/core"
	"github.com/AlecAivazis/survey/v2/terminal"

	"github.com/respondhq/respond/internal/iostreams"
)

// Prompter asks questions. Each returns ctx's error when ctx ends first.
type Prompter interface {
	Confirm(ctx context.Context, message string, def bool) (bool, error)
	// Select returns the index of the chosen option; def is preselected,
	// and with def < 0 nothing is (Enter alone chooses nothing).
	Select(ctx context.Context, message string, options []string, def int) (int, error)
	Password(ctx context.Context, message string) (string, error)
	Input(ctx context.Context, message, def string) (string, error)
}

// ErrInterrupted is returned when the responder pressed Ctrl-C (or Ctrl-D)
// at a prompt: the terminal is in raw mode while a question waits, so
// Ctrl-C is a key there, not a signal.
var ErrInterrupted = errors.New("cancelled at the prompt")

// Terminal is the Prompter of a terminal: Select is survey's menu (it
// only reads keys and redraws); Confirm, Password and Input are one-line
// questions read by golang.org/x/term's line editor. Neither asks the
// terminal anything.
type Terminal struct {
	in     terminal.FileReader
	out    terminal.FileWriter
	errOut terminal.FileWriter
	color  bool
}

var _ Prompter = (*Terminal)(nil)

// New returns the prompter of the given streams. Prompts are written to
// the terminal beneath the masking writers (they never echo a secret: a
// password is not echoed at all).
func New(ios *iostreams.IOStreams) *Terminal {
	t := &Terminal{color: ios.ColorEnabled()}
	t.in, _ = ios.In.(terminal.FileReader)
	t.out, _ = unwrap(ios.Out).(terminal.FileWriter)
	t.errOut, _ = unwrap(ios.ErrOut).(terminal.FileWriter)
	if t.errOut == nil {
		t.errOut = t.out
	}
	return t
}

// unwrap finds the terminal beneath a masking writer: prompts need its
// file descriptor.
func unwrap(w io.Writer) io.Writer {
	for {
		if _, ok := w.(terminal.FileWriter); ok {
			return w
		}
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// errNoTerminal: a prompt on streams that are not a terminal (the CLI
// never asks then: it needs --yes or flags instead).
var errNoTerminal = errors.New("cannot prompt: standard input or output is not a terminal")

// mapErr turns what survey returns into this package's errors: its
// interrupt is ErrInterrupted, and anything after ctx ended is ctx's
// error.
func mapErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, terminal.InterruptErr) || errors.Is(err, io.EOF) {
		return ErrInterrupted
	}
	return err
}

// noChoice heads a Select without a default: the cursor starts on it,
// and it cannot be chosen.
const noChoice = "(none yet: move with ↑/↓, then press Enter)"

// Select asks to choose one option; it returns its index. def is the
// option the cursor starts on; with def < 0 it starts on a line that is
// no option, and Enter there asks again: a hurried Enter picks nothing.
func (t *Terminal) Select(ctx context.Context, message string, options []string, def int) (int, error) {
	if t.in == nil || t.out == nil {
		return -1, errNoTerminal
	}
	q := &survey.Select{Message: message, Options: options, PageSize: 15}
	opts := []survey.AskOpt{survey.WithStdio(&ctxReader{ctx: ctx, f: t.in}, t.out, t.errOut)}
	switch {
	case def < 0:
		q.Options = append([]string{noChoice}, options...)
		// Typing filters the options, and survey then moves the cursor
		// to the first left: the line that is no option stays first, so
		// typing and a hurried Enter still pick nothing.
		q.Filter = func(filter, value string, index int) bool {
			return index == 0 || strings.Contains(strings.ToLower(value), strings.ToLower(filter))
		}
		opts = append(slices.Clone(opts), survey.WithValidator(func(ans any) error {
			if a, ok := ans.(core.OptionAnswer); ok && a.Index == 0 && a.Value == noChoice {
				return errors.New("nothing chosen yet: move to your choice with ↑/↓, then press Enter")
			}
			return nil
		}))
	case def < len(options):
		q.Default = options[def]
	}
	var v int
	err := survey.AskOne(q, &v, opts...)
	if def < 0 {
		v--
	}
	if err != nil {
		return -1, mapErr(ctx, err)
	}
	return v, nil
}
