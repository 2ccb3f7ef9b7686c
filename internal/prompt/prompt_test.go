//go:build linux || darwin

package prompt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// ptyTerm is a pseudo-terminal a Terminal prompts on; the test types into
// it and reads what it shows. It never answers a cursor-position query,
// as `script` and some serial consoles do not.
type ptyTerm struct {
	t    *testing.T
	ptmx *os.File
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer // since the last waitFor
	all  bytes.Buffer // everything shown
}

func newTerm(t *testing.T) (*ptyTerm, *Terminal) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80})
	tm := &ptyTerm{t: t, ptmx: ptmx, tty: tty}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.all.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); ptmx.Close() })
	return tm, &Terminal{in: tty, out: tty, errOut: tty}
}

// waitFor waits until the terminal has shown s (after what it showed
// before), then types keys.
func (tm *ptyTerm) waitFor(s, keys string) {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tm.mu.Lock()
		ok := strings.Contains(tm.out.String(), s)
		if ok {
			tm.out.Reset()
		}
		tm.mu.Unlock()
		if ok {
			if _, err := tm.ptmx.WriteString(keys); err != nil {
				tm.t.Fatal(err)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.t.Fatalf("the terminal never showed %q; it shows:\n%q", s, tm.out.String())
}

// shown is everything the terminal showed.
func (tm *ptyTerm) shown() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.all.String()
}

type result[T any] struct {
	v   T
	err error
}

// await waits for a question's answer (a hang fails the test).
func await[T any](t *testing.T, done <-chan result[T]) result[T] {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the question did not return")
	}
	panic("unreachable")
}

// With no default (def < 0), Enter at once picks nothing: the prompt says
// so and asks again; the responder then moves to an option and picks it.
func TestSelectWithoutDefaultRefusesAHurriedEnter(t *testing.T) {
	tm, s := newTerm(t)
	done := make(chan result[int], 1)
	go func() {
		i, err := s.Select(t.Context(), "Which key leaked?", []string{"oldest", "middle", "newest"}, -1)
		done <- result[int]{i, err}
	}()
	tm.waitFor("Which key leaked?", "\r")
	tm.waitFor("nothing chosen", "\x1b[B\x1b[B\r") // down twice: past the placeholder to "middle"
	if r := await(t, done); r.err != nil || r.v != 1 {
		t.Fatalf("Select = %d, %v; want 1 (middle)", r.v, r.err)
	}
}

// Typing filters the options but selects none of them: Enter right after
// typing picks nothing and asks again; an arrow then picks a match.
func TestSelectFilterSelectsNothing(t *testing.T) {
	tm, s := newTerm(t)
	done := make(chan result[int], 1)
	go func() {
		i, err := s.Select(t.Context(), "Which key leaked?", []string{"notebook sk-proj-…a", "prod-backend sk-proj-…b", "ci sk-svcac…c"}, -1)
		done <- result[int]{i, err}
	}()
	tm.waitFor("Which key leaked?", "pro\r")
	tm.waitFor("nothing chosen", "\x1b[B\x1b[B\r") // the placeholder, notebook, prod-backend
	if r := await(t, done); r.err != nil || r.v != 1 {
		t.Fatalf("Select = %d, %v; want 1 (prod-backend)", r.v, r.err)
	}
}

// With a default, Enter picks it, as before.
func TestSelectWithDefault(t *testing.T) {
	tm, s := newTerm(t)
	done := make(chan result[int], 1)
	go func() {
		i, err := s.Select(t.Context(), "Which project?", []string{"a", "b", "c"}, 2)
		done <- result[int]{i, err}
	}()
	tm.waitFor("Which project?", "\r")
	if r := await(t, done); r.err != nil || r.v != 2 {
		t.Fatalf("Select = %d, %v; want 2", r.v, r.err)
	}
}

// The approval question reads what is typed on a terminal that never
// answers a cursor-position query (it asks none): y, n, Enter for the
// default, and anything else asks again.
func TestConfirmOnATerminalThatNeverAnswersTheCursorQuery(t *testing.T) {
	for _, c := range []struct {
		keys string
		def  bool
		want bool
	}{
		{"y\r", false, true},
		{"yes\r", false, true},
		{"n\r", true, false},
		{"\r", false, false},
		{"\r", true, true},
		{"maybe\rY\r", false, true},
	} {
		tm, s := newTerm(t)
		done := make(chan result[bool], 1)
		go func() {
			ok, err := s.Confirm(t.Context(), "Apply this plan?", c.def)
			done <- result[bool]{ok, err}
		}()
		tm.waitFor("Apply this plan?", c.keys)
		if r := await(t, done); r.err != nil || r.v != c.want {
			t.Errorf("typing %q (default %v): Confirm = %v, %v; want %v", c.keys, c.def, r.v, r.err, c.want)
		}
		if strings.Contains(tm.shown(), "\x1b[6n") {
			t.Errorf("the prompt asked the terminal for the cursor position: %q", tm.shown())
		}
	}
}

// Ctrl-C at a question is a key (the terminal is raw): the question is
// cancelled (ErrInterrupted), and the terminal is back in its mode.
func TestCtrlCCancelsTheQuestion(t *testing.T) {
	tm, s := newTerm(t)
	before, err := term.GetState(int(tm.tty.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan result[bool], 1)
	go func() {
		ok, err := s.Confirm(t.Context(), "Apply this plan?", false)
		done <- result[bool]{ok, err}
	}()
	tm.waitFor("Apply this plan?", "\x03")
	if r := await(t, done); !errors.Is(r.err, ErrInterrupted) {
		t.Fatalf("Confirm after Ctrl-C = %v, %v; want ErrInterrupted", r.v, r.err)
	}
	after, err := term.GetState(int(tm.tty.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if *before != *after {
		t.Error("the terminal's mode was not restored after the question")
	}
}

// When the context ends (respond got SIGTERM or a hang-up), every kind of
// question returns its error at once, nothing typed, and leaves the
// terminal in its mode.
func TestQuestionsEndWithTheirContext(t *testing.T) {
	asks := map[string]func(ctx context.Context, s *Terminal) error{
		"Confirm": func(ctx context.Context, s *Terminal) error {
			_, err := s.Confirm(ctx, "Apply this plan?", false)
			return err
		},
		"Password": func(ctx context.Context, s *Terminal) error {
			_, err := s.Password(ctx, "Apply this plan?")
			return err
		},
		"Input": func(ctx context.Context, s *Terminal) error {
			_, err := s.Input(ctx, "Apply this plan?", "")
			return err
		},
		"Select": func(ctx context.Context, s *Terminal) error {
			_, err := s.Select(ctx, "Apply this plan?", []string{"a", "b"}, -1)
			return err
		},
	}
	for name, ask := range asks {
		t.Run(name, func(t *testing.T) {
			tm, s := newTerm(t)
			before, err := term.GetState(int(tm.tty.Fd()))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancelCause(t.Context())
			stop := errors.New("stopped by SIGTERM")
			done := make(chan result[struct{}], 1)
			go func() { done <- result[struct{}]{err: ask(ctx, s)} }()
			tm.waitFor("Apply this plan?", "")
			cancel(stop)
			if r := await(t, done); !errors.Is(r.err, context.Canceled) || !errors.Is(context.Cause(ctx), stop) {
				t.Fatalf("%s after the context ended: %v; want context.Canceled", name, r.err)
			}
			after, err := term.GetState(int(tm.tty.Fd()))
			if err != nil {
				t.Fatal(err)
			}
			if *before != *after {
				t.Error("the terminal's mode was not restored after the question")
			}
		})
	}
}

// A password is not echoed, and what is pasted is read whole.
func TestPasswordIsNotEchoed(t *testing.T) {
	tm, s := newTerm(t)
	done := make(chan result[string], 1)
	go func() {
		v, err := s.Password(t.Context(), "Paste the leaked key (it is not shown):")
		done <- result[string]{v, err}
	}()
	const key = "sk-proj-canaryCANARYcanary0123456789"
	tm.waitFor("Paste the leaked key", key+"\r")
	if r := await(t, done); r.err != nil || r.v != key {
		t.Fatalf("Password = %q, %v", r.v, r.err)
	}
	if strings.Contains(tm.shown(), "canary") {
		t.Errorf("the terminal showed the pasted key: %q", tm.shown())
	}
}

// A question of several lines (the destructive-change question lists what
// it takes away) shows each on its own line, and what it quotes from an
// API cannot reach the terminal as an escape sequence.
func TestAQuestionOfSeveralLinesIsShownCleanly(t *testing.T) {
	tm, s := newTerm(t)
	done := make(chan result[bool], 1)
	go func() {
		ok, err := s.Confirm(t.Context(), "The plan takes away:\n  - delete secret \x1b]0;owned\a\x1b[2JX\nApply it anyway?", false)
		done <- result[bool]{ok, err}
	}()
	tm.waitFor("Apply it anyway?", "y\r")
	if r := await(t, done); r.err != nil || !r.v {
		t.Fatalf("Confirm = %v, %v; want true", r.v, r.err)
	}
	shown := tm.shown()
	if strings.Contains(shown, "\x1b]0;") || strings.Contains(shown, "\x1b[2J") {
		t.Errorf("an escape sequence from the question reached the terminal: %q", shown)
	}
	if !strings.Contains(shown, "? The plan takes away:\r\n  - delete secret ") {
		t.Errorf("the question's lines are not shown one under the other: %q", shown)
	}
}
