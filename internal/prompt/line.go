package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"

	"github.com/respondhq/respond/internal/textsafe"
)

// Confirm asks a yes/no question; Enter alone answers def, and anything
// but y, yes, n or no asks again.
func (t *Terminal) Confirm(ctx context.Context, message string, def bool) (bool, error) {
	hint := "(y/N)"
	if def {
		hint = "(Y/n)"
	}
	answer := def
	err := t.ask(ctx, message, " "+t.dim(hint)+" ", false, func(line string) (string, bool) {
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "":
			answer = def
		case "y", "yes":
			answer = true
		case "n", "no":
			answer = false
		default:
			return "  please answer y (yes) or n (no)", false
		}
		return "", true
	})
	return answer, err
}

// Password asks for a secret; what is typed or pasted is not echoed.
func (t *Terminal) Password(ctx context.Context, message string) (string, error) {
	var v string
	err := t.ask(ctx, message, " ", true, func(line string) (string, bool) {
		v = line
		return "", true
	})
	return v, err
}

// Input asks for a line of text; Enter alone answers def.
func (t *Terminal) Input(ctx context.Context, message, def string) (string, error) {
	suffix := " "
	if def != "" {
		suffix += t.dim("("+textsafe.Line(def)+")") + " "
	}
	v := def
	err := t.ask(ctx, message, suffix, false, func(line string) (string, bool) {
		if strings.TrimSpace(line) != "" {
			v = line
		}
		return "", true
	})
	return v, err
}

// ask shows the question (then suffix, respond's own hint) and reads
// lines with x/term's line editor until accept takes one (else it shows
// accept's complaint and asks again), the terminal in raw mode meanwhile
// (so Ctrl-C is a key, which cancels the question). Reading ends when ctx does; the terminal's mode is restored
// either way.
func (t *Terminal) ask(ctx context.Context, question, suffix string, hidden bool, accept func(line string) (complaint string, ok bool)) error {
	if t.in == nil || t.out == nil {
		return errNoTerminal
	}
	fd := int(t.in.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return fmt.Errorf("cannot prompt: %w", err)
	}
	defer func() { _ = term.Restore(fd, old) }()
	// The question's text may quote names from APIs: no control
	// character reaches the terminal. Its lines but the last are shown
	// above the line editor, which keeps one line of prompt.
	lines := strings.Split(textsafe.Text(question), "\n")
	for i, l := range lines[:len(lines)-1] {
		if i == 0 {
			l = t.mark() + l
		}
		fmt.Fprint(t.out, l+"\r\n")
	}
	prompt := lines[len(lines)-1] + suffix
	if len(lines) == 1 {
		prompt = t.mark() + prompt
	}
	rw := struct {
		io.Reader
		io.Writer
	}{&ctxReader{ctx: ctx, f: t.in}, t.out}
	lt := term.NewTerminal(rw, prompt)
	if w, h, err := term.GetSize(int(t.out.Fd())); err == nil && w > 0 {
		_ = lt.SetSize(w, h)
	}
	for {
		var line string
		if hidden {
			line, err = lt.ReadPassword(prompt)
		} else {
			line, err = lt.ReadLine()
		}
		switch {
		case err == nil:
			complaint, ok := accept(line)
			if ok {
				return nil
			}
			// Raw mode: a line ends with \r\n.
			fmt.Fprint(t.out, complaint+"\r\n")
			continue
		case ctx.Err() != nil:
			// Leave the question's line, so that what respond says next
			// (why it stopped) starts on a line of its own.
			fmt.Fprint(t.out, "\r\n")
			return ctx.Err()
		case errors.Is(err, io.EOF): // Ctrl-C, or Ctrl-D on an empty line
			fmt.Fprint(t.out, "\r\n")
			return ErrInterrupted
		}
		return err
	}
}

// mark is what starts a question ("? ", green when colour is on).
func (t *Terminal) mark() string {
	if t.color {
		return "\x1b[1;92m?\x1b[0m "
	}
	return "? "
}

func (t *Terminal) dim(s string) string {
	if t.color {
		return "\x1b[37m" + s + "\x1b[0m"
	}
	return s
}
