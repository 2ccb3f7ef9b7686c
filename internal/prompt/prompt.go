// Package prompt asks the responder questions on a terminal. Commands and
// the engine depend on the Prompter interface; tests use a scripted fake.
package prompt

import (
	"errors"
	"io"
	"slices"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/core"
	"github.com/AlecAivazis/survey/v2/terminal"

	"github.com/respondhq/respond/internal/iostreams"
)

// Prompter asks questions.
type Prompter interface {
	Confirm(message string, def bool) (bool, error)
	// Select returns the index of the chosen option; def is preselected,
	// and with def < 0 nothing is (Enter alone chooses nothing).
	Select(message string, options []string, def int) (int, error)
	Password(message string) (string, error)
	Input(message, def string) (string, error)
}

// ErrInterrupted is returned when the responder pressed Ctrl-C at a prompt.
var ErrInterrupted = errors.New("cancelled at the prompt")

// Survey is the terminal Prompter.
type Survey struct {
	opts []survey.AskOpt
}

// New returns a survey-backed prompter on the given streams.
func New(io *iostreams.IOStreams) *Survey {
	in, ok1 := io.In.(terminal.FileReader)
	out, ok2 := unwrap(io.Out).(terminal.FileWriter)
	errOut, _ := unwrap(io.ErrOut).(terminal.FileWriter)
	var opts []survey.AskOpt
	if ok1 && ok2 {
		if errOut == nil {
			errOut = out
		}
		opts = append(opts, survey.WithStdio(in, out, errOut))
	}
	return &Survey{opts: opts}
}

// unwrap finds the terminal beneath a masking writer: survey needs its file
// descriptor. Prompts never echo secret values (passwords are not echoed).
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

func mapErr(err error) error {
	if errors.Is(err, terminal.InterruptErr) {
		return ErrInterrupted
	}
	return err
}

// Confirm asks a yes/no question.
func (s *Survey) Confirm(message string, def bool) (bool, error) {
	var v bool
	err := survey.AskOne(&survey.Confirm{Message: message, Default: def}, &v, s.opts...)
	return v, mapErr(err)
}

// noChoice heads a Select without a default: the cursor starts on it,
// and it cannot be chosen.
const noChoice = "(none yet: move with ↑/↓, then press Enter)"

// Select asks to choose one option; it returns its index. def is the
// option the cursor starts on; with def < 0 it starts on a line that is
// no option, and Enter there asks again: a hurried Enter picks nothing.
func (s *Survey) Select(message string, options []string, def int) (int, error) {
	var v int
	q := &survey.Select{Message: message, Options: options, PageSize: 15}
	opts := s.opts
	switch {
	case def < 0:
		q.Options = append([]string{noChoice}, options...)
		opts = append(slices.Clone(s.opts), survey.WithValidator(func(ans any) error {
			if a, ok := ans.(core.OptionAnswer); ok && a.Index == 0 && a.Value == noChoice {
				return errors.New("nothing chosen yet: move to your choice with ↑/↓, then press Enter")
			}
			return nil
		}))
	case def < len(options):
		q.Default = options[def]
	}
	err := survey.AskOne(q, &v, opts...)
	if def < 0 {
		v--
	}
	return v, mapErr(err)
}

// Password asks for a secret without echo.
func (s *Survey) Password(message string) (string, error) {
	var v string
	err := survey.AskOne(&survey.Password{Message: message}, &v, s.opts...)
	return v, mapErr(err)
}

// Input asks for a line of text.
func (s *Survey) Input(message, def string) (string, error) {
	var v string
	err := survey.AskOne(&survey.Input{Message: message, Default: def}, &v, s.opts...)
	return v, mapErr(err)
}
