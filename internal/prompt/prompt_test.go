//go:build linux || darwin

package prompt

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AlecAivazis/survey/v2"
	"github.com/creack/pty"
)

// term is a pseudo-terminal a Survey prompts on; the test types into it
// and reads what it shows.
type term struct {
	t    *testing.T
	ptmx *os.File
	mu   sync.Mutex
	out  bytes.Buffer
}

func newTerm(t *testing.T) (*term, *Survey) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 100})
	tm := &term{t: t, ptmx: ptmx}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); ptmx.Close() })
	return tm, &Survey{opts: []survey.AskOpt{survey.WithStdio(tty, tty, tty)}}
}

// waitFor waits until the terminal has shown s (after what it showed
// before), then types keys.
func (tm *term) waitFor(s, keys string) {
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

// With no default (def < 0), Enter at once picks nothing: the prompt says
// so and asks again; the responder then moves to an option and picks it.
func TestSelectWithoutDefaultRefusesAHurriedEnter(t *testing.T) {
	tm, s := newTerm(t)
	type result struct {
		i   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		i, err := s.Select("Which key leaked?", []string{"oldest", "middle", "newest"}, -1)
		done <- result{i, err}
	}()
	tm.waitFor("Which key leaked?", "\r")
	tm.waitFor("nothing chosen", "\x1b[B\x1b[B\r") // down twice: past the placeholder to "middle"
	select {
	case r := <-done:
		if r.err != nil || r.i != 1 {
			t.Fatalf("Select = %d, %v; want 1 (middle)", r.i, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Select did not return")
	}
}

// With a default, Enter picks it, as before.
func TestSelectWithDefault(t *testing.T) {
	tm, s := newTerm(t)
	done := make(chan int, 1)
	go func() {
		i, err := s.Select("Which project?", []string{"a", "b", "c"}, 2)
		if err != nil {
			t.Error(err)
		}
		done <- i
	}()
	tm.waitFor("Which project?", "\r")
	select {
	case i := <-done:
		if i != 2 {
			t.Fatalf("Select = %d, want 2", i)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Select did not return")
	}
}
