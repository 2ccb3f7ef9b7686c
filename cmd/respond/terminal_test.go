package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"
)

// interm [OPTIONS] COLS PROG ARGS... (a command of the test binary, run
// by scripts with exec): run PROG in a pseudo-terminal COLS columns wide,
// with its standard input, output and error all on it as in a terminal
// window, and print what the terminal shows: the output with escape
// sequences interpreted (colours dropped), every line broken where the
// terminal wraps it at COLS columns. It exits with PROG's exit code.
//
// Options drive the terminal as a person (or the system) would:
//
//	-at TEXT ACTION  once the terminal shows TEXT (after what the previous
//	                 -at waited for), do ACTION: TERM, HUP or INT sends
//	                 PROG that signal; keys:STRING types STRING (\r is
//	                 Enter, \x03 Ctrl-C, \x1b[B the down arrow). Several
//	                 -at run in order.
//	-answer-cursor   answer every cursor-position query (ESC [ 6 n) as a
//	                 terminal emulator does; without it the terminal never
//	                 answers one, as `script` and some consoles do not.
//
// After a signal, interm reports on standard error how long PROG took to
// exit, and kills it if it has not exited 10 s later (a hang, not a
// timing: exit 124). With INTERM_TYPE set, it types that into the
// terminal after INTERM_TYPE_AFTER (a duration), whatever it shows.
//
// It uses github.com/creack/pty: opening a pseudo-terminal and setting
// its size takes platform-specific ioctls (Linux and macOS differ), and
// testscript's own ttyin neither sizes the terminal nor puts stdout on it.
func interm() int {
	args := os.Args[1:]
	type step struct{ text, action string }
	var steps []step
	answerCursor := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-answer-cursor":
			answerCursor = true
			args = args[1:]
		case args[0] == "-at" && len(args) >= 3:
			steps = append(steps, step{args[1], args[2]})
			args = args[3:]
		default:
			fmt.Fprintf(os.Stderr, "interm: bad option %q\n", args[0])
			return 2
		}
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: interm [-answer-cursor] [-at TEXT ACTION]... COLS PROG [ARGS...]")
		return 2
	}
	cols, err := strconv.Atoi(args[0])
	if err != nil || cols < 10 {
		fmt.Fprintf(os.Stderr, "interm: bad width %q\n", args[0])
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[1], args[2:]...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: 50})
	if err != nil {
		fmt.Fprintf(os.Stderr, "interm: %v\n", err)
		return 2
	}
	// INTERM_TYPE, when set, is typed into the terminal after
	// INTERM_TYPE_AFTER (a duration): what a person types, \n for Enter.
	if typed := os.Getenv("INTERM_TYPE"); typed != "" {
		after, _ := time.ParseDuration(os.Getenv("INTERM_TYPE_AFTER"))
		go func() {
			time.Sleep(after)
			_, _ = io.WriteString(tty, strings.ReplaceAll(typed, `\n`, "\r"))
		}()
	}
	var raw bytes.Buffer
	var signalled time.Time
	var signal string
	done := make(chan struct{})
	var hung atomic.Bool
	seen := 0 // steps wait for their text after this offset
	buf := make([]byte, 4096)
	for {
		// Reading ends with an error (EIO on Linux) once PROG has exited
		// and the terminal's other side is closed.
		n, rerr := tty.Read(buf)
		raw.Write(buf[:n])
		if answerCursor && bytes.Contains(buf[:n], []byte("\x1b[6n")) {
			_, _ = tty.WriteString("\x1b[1;1R")
		}
		for len(steps) > 0 {
			i := strings.Index(raw.String()[seen:], steps[0].text)
			if i < 0 {
				break
			}
			seen += i + len(steps[0].text)
			action := steps[0].action
			steps = steps[1:]
			if keys, ok := strings.CutPrefix(action, "keys:"); ok {
				keys = strings.NewReplacer(`\r`, "\r", `\x03`, "\x03", `\x1b`, "\x1b").Replace(keys)
				_, _ = tty.WriteString(keys)
				continue
			}
			sigs := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP, "INT": syscall.SIGINT}
			sig, ok := sigs[action]
			if !ok {
				fmt.Fprintf(os.Stderr, "interm: bad action %q\n", action)
				_ = cmd.Process.Kill()
				return 2
			}
			signalled, signal = time.Now(), action
			_ = cmd.Process.Signal(sig)
			go func() {
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					hung.Store(true)
					_ = cmd.Process.Kill()
				}
			}()
		}
		if rerr != nil {
			break
		}
	}
	err = cmd.Wait()
	close(done)
	tty.Close()
	// INTERM_UNWRAPPED=1 shows each line whole, as written (what a wider
	// terminal would show): how wide respond's lines are, not how the
	// terminal folded them.
	shown := cols
	if os.Getenv("INTERM_UNWRAPPED") == "1" {
		shown = 1 << 20
	}
	fmt.Print(screen(raw.String(), shown))
	if !signalled.IsZero() {
		fmt.Fprintf(os.Stderr, "interm: %s exited %s after SIG%s\n", filepath.Base(args[1]), time.Since(signalled).Round(time.Millisecond), signal)
	}
	if hung.Load() {
		fmt.Fprintf(os.Stderr, "interm: %s was still running 10s after SIG%s: killed\n", filepath.Base(args[1]), signal)
		return 124
	}
	if len(steps) > 0 {
		fmt.Fprintf(os.Stderr, "interm: the terminal never showed %q\n", steps[0].text)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		fmt.Fprintf(os.Stderr, "interm: %v\n", err)
		return 2
	}
	return 0
}

// screen is what a terminal cols wide shows of out (with its scrollback):
// a minimal emulator of what respond writes. Printable characters fill
// the line and wrap at its end; \r returns to its start, \n goes to the
// next line, \b steps back, a tab goes to the next multiple of 8; escape
// sequences (CSI, OSC, two-byte) are dropped, except erase-in-line.
func screen(out string, cols int) string {
	var lines []string
	line := []rune{}
	col := 0
	pending := false // the cursor is past the last column: wrap on the next character
	put := func(r rune) {
		w := runewidth.RuneWidth(r)
		if pending || col+w > cols {
			lines = append(lines, strings.TrimRight(string(line), " "))
			line, col, pending = []rune{}, 0, false
		}
		for len(line) < col+w {
			line = append(line, ' ')
		}
		line[col] = r
		for i := 1; i < w; i++ {
			line[col+i] = 0
		}
		col += w
		if col == cols {
			col, pending = cols-1, true
		}
	}
	rs := []rune(out)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\x1b' && i+1 < len(rs) && rs[i+1] == '[':
			j := i + 2
			for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
				j++
			}
			if j < len(rs) && rs[j] == 'K' { // erase from the cursor to the end
				if col < len(line) {
					line = line[:col]
				}
			}
			i = j
		case r == '\x1b' && i+1 < len(rs) && rs[i+1] == ']':
			j := i + 2
			for j < len(rs) && rs[j] != '\a' && !(rs[j] == '\x1b' && j+1 < len(rs) && rs[j+1] == '\\') {
				j++
			}
			if j < len(rs) && rs[j] == '\x1b' {
				j++
			}
			i = j
		case r == '\x1b':
			i++
		case r == '\r':
			col, pending = 0, false
		case r == '\n':
			lines = append(lines, strings.TrimRight(string(line), " "))
			line, col, pending = []rune{}, 0, false
		case r == '\b':
			col, pending = max(col-1, 0), false
		case r == '\t':
			col = min((col/8+1)*8, cols-1)
		case r < 0x20 || r == 0x7f:
		default:
			put(r)
		}
	}
	if len(line) > 0 {
		lines = append(lines, strings.TrimRight(string(line), " "))
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(strings.ReplaceAll(l, "\x00", ""))
		b.WriteByte('\n')
	}
	return b.String()
}
