package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"
)

// interm COLS PROG ARGS... (a command of the test binary, run by scripts
// with exec): run PROG in a pseudo-terminal COLS columns wide, with its
// standard input, output and error all on it as in a terminal window, and
// print what the terminal shows: the output with escape sequences
// interpreted (colours dropped), every line broken where the terminal
// wraps it at COLS columns. It exits with PROG's exit code. With
// INTERM_TYPE set, it types that into the terminal after
// INTERM_TYPE_AFTER.
//
// It uses github.com/creack/pty: opening a pseudo-terminal and setting
// its size takes platform-specific ioctls (Linux and macOS differ), and
// testscript's own ttyin neither sizes the terminal nor puts stdout on it.
func interm() int {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: interm COLS PROG [ARGS...]")
		return 2
	}
	cols, err := strconv.Atoi(os.Args[1])
	if err != nil || cols < 10 {
		fmt.Fprintf(os.Stderr, "interm: bad width %q\n", os.Args[1])
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[2], os.Args[3:]...)
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
	// Reading ends with an error (EIO on Linux) once PROG has exited and
	// the terminal's other side is closed.
	_, _ = io.Copy(&raw, tty)
	err = cmd.Wait()
	tty.Close()
	fmt.Print(screen(raw.String(), cols))
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
