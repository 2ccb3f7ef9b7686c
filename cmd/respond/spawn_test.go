package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// Background processes a script can send any signal to (testscript's own
// `kill` knows only INT and KILL).
type spawned struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	errb   bytes.Buffer
	done   chan struct{}
	code   int
	runErr error
	// outR is the reading end of its standard output, a pipe read into
	// out until closeout closes it; copied is closed when that stops.
	outR   *os.File
	copied chan struct{}
}

var (
	spawnMu sync.Mutex
	spawns  = map[*testscript.TestScript]map[string]*spawned{}
)

// spawn NAME PROG ARGS...: start PROG in the background with the script's
// environment.
// signal NAME HUP|TERM|PIPE|INT|KILL: send it a signal.
// closeout NAME: stop reading its standard output (a pipe), as `| head`
// does once head exits.
// running NAME: it has not exited.
// reap NAME CODE: wait for it, require exit code CODE, and make its stdout
// and stderr the last command's.
func cmdSpawn(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: spawn NAME PROG ARGS...")
	}
	cmd := exec.Command(lookPath(ts, args[1]), args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, kv := range os.Environ() {
		k, _, _ := bytes.Cut([]byte(kv), []byte("="))
		cmd.Env = append(cmd.Env, string(k)+"="+ts.Getenv(string(k)))
	}
	for _, k := range []string{"RESPOND_STATE_DIR", "NO_COLOR", "OPENAI_BASE_URL", "OPENAI_ADMIN_KEY", "GITHUB_API_URL", "GITHUB_TOKEN", "KUBECONFIG", "RESPOND_TEST_CRASH_BEFORE", "PATH", "HOME", "TMPDIR"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	p := &spawned{cmd: cmd, done: make(chan struct{}), copied: make(chan struct{})}
	outR, outW, err := os.Pipe()
	ts.Check(err)
	p.outR = outR
	cmd.Stdout, cmd.Stderr = outW, &p.errb
	ts.Check(cmd.Start())
	outW.Close()
	go func() {
		defer close(p.copied)
		_, _ = io.Copy(&p.out, outR)
	}()
	go func() {
		err := cmd.Wait()
		<-p.copied
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.code = 128 + int(ws.Signal())
			}
		} else if err != nil {
			p.runErr = err
		}
		close(p.done)
	}()
	spawnMu.Lock()
	if spawns[ts] == nil {
		spawns[ts] = map[string]*spawned{}
	}
	spawns[ts][args[0]] = p
	spawnMu.Unlock()
	ts.Defer(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
}

func spawnedNamed(ts *testscript.TestScript, name string) *spawned {
	spawnMu.Lock()
	defer spawnMu.Unlock()
	p := spawns[ts][name]
	if p == nil {
		ts.Fatalf("no spawned process %s", name)
	}
	return p
}

func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	sigs := map[string]syscall.Signal{"HUP": syscall.SIGHUP, "TERM": syscall.SIGTERM, "PIPE": syscall.SIGPIPE, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL}
	if len(args) != 2 {
		ts.Fatalf("usage: signal NAME HUP|TERM|PIPE|INT|KILL")
	}
	sig, ok := sigs[args[1]]
	if !ok {
		ts.Fatalf("usage: signal NAME HUP|TERM|PIPE|INT|KILL")
	}
	ts.Check(spawnedNamed(ts, args[0]).cmd.Process.Signal(sig))
}

// cmdCloseout closes the reading end of a spawned process's standard
// output: its writes fail with EPIPE and raise SIGPIPE.
func cmdCloseout(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: closeout NAME")
	}
	ts.Check(spawnedNamed(ts, args[0]).outR.Close())
}

// cmdRunning: the spawned process has not exited.
func cmdRunning(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: running NAME")
	}
	select {
	case <-spawnedNamed(ts, args[0]).done:
		if !neg {
			ts.Fatalf("%s has exited", args[0])
		}
	default:
		if neg {
			ts.Fatalf("%s is still running", args[0])
		}
	}
}

func cmdReap(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: reap NAME CODE")
	}
	p := spawnedNamed(ts, args[0])
	<-p.done
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	ts.Logf("[stdout]\n%s[stderr]\n%s", p.out.String(), p.errb.String())
	if p.runErr != nil {
		ts.Fatalf("%s: %v", args[0], p.runErr)
	}
	if p.code != want {
		ts.Fatalf("%s exited with %d, want %d", args[0], p.code, want)
	}
	// The next stdout/stderr commands read these.
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".stdout"), p.out.Bytes(), 0o600))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".stderr"), p.errb.Bytes(), 0o600))
}
