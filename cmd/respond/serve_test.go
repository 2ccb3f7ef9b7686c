package main

import (
	"github.com/respondhq/respond/internal/awsapi/awstest"

	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// A `respond sim serve` process a script started with simserve.
type serveRun struct {
	cmd   *exec.Cmd
	files []string // the temporary files it announced
	done  chan error
}

var (
	servesMu sync.Mutex
	serves   = map[*testscript.TestScript]*serveRun{}
)

// simserve start [ARGS...]: run `respond sim serve --addr 127.0.0.1:0
// ARGS...` in the background, wait for its settings, and export them
// (GITHUB_API_URL, GITHUB_TOKEN, SSL_CERT_FILE, …, SIM_INVENTORY), plus
// what gh needs to use it as a GitHub Enterprise host: GH_HOST,
// GH_ENTERPRISE_TOKEN and a private GH_CONFIG_DIR.
//
// simserve stop SIGNAL: send SIGNAL (INT, TERM or HUP) to it, and require
// that it exits with status 0 having removed the temporary files it
// printed (its inventory and TLS certificate).
func cmdSimServe(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: simserve start [ARGS...] | simserve stop INT|TERM|HUP")
	}
	servesMu.Lock()
	r := serves[ts]
	servesMu.Unlock()
	switch args[0] {
	case "start":
		if r != nil {
			ts.Fatalf("simserve start: a server is already running")
		}
		serveStart(ts, args[1:])
	case "stop":
		if r == nil || len(args) != 2 {
			ts.Fatalf("usage: simserve stop INT|TERM|HUP, after simserve start")
		}
		sig := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP}[args[1]]
		if sig == 0 {
			ts.Fatalf("simserve stop: unknown signal %q", args[1])
		}
		ts.Check(r.cmd.Process.Signal(sig))
		select {
		case err := <-r.done:
			if err != nil {
				ts.Fatalf("respond sim serve exited after SIG%s: %v", args[1], err)
			}
		case <-time.After(30 * time.Second):
			_ = r.cmd.Process.Kill()
			ts.Fatalf("respond sim serve did not stop within 30s of SIG%s", args[1])
		}
		servesMu.Lock()
		delete(serves, ts)
		servesMu.Unlock()
		for _, f := range r.files {
			if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
				ts.Fatalf("respond sim serve left %s behind after SIG%s (%v)", f, args[1], err)
			}
		}
		if len(r.files) == 0 {
			ts.Fatalf("respond sim serve announced no temporary file")
		}
	default:
		ts.Fatalf("simserve: unknown subcommand %q", args[0])
	}
}

func serveStart(ts *testscript.TestScript, args []string) {
	bin, err := exec.LookPath("respond")
	ts.Check(err)
	cmd := exec.Command(bin, append([]string{"sim", "serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = ts.MkAbs(".")
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "TMPDIR" {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "TMPDIR="+ts.Getenv("TMPDIR"), "HOME="+ts.Getenv("HOME"), "NO_COLOR=1")
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	cmd.Stderr = os.Stderr
	ts.Check(cmd.Start())
	r := &serveRun{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan map[string]string, 1)
	go func() {
		settings := map[string]string{}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if kv, ok := strings.CutPrefix(line, "export "); ok {
				k, v, _ := strings.Cut(kv, "=")
				settings[k] = strings.Trim(v, "'")
			}
			if p, ok := strings.CutPrefix(line, "# inventory: "); ok {
				settings["SIM_INVENTORY"] = p
			}
			if strings.Contains(line, "Ctrl-C") {
				ready <- settings
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
		r.done <- cmd.Wait() // once everything was read, as Wait requires
	}()
	ts.Defer(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	var settings map[string]string
	select {
	case settings = <-ready:
	case err := <-r.done:
		ts.Fatalf("respond sim serve exited at start: %v", err)
	case <-time.After(30 * time.Second):
		ts.Fatalf("respond sim serve printed no settings within 30s")
	}
	for k, v := range settings {
		ts.Setenv(k, v)
	}
	r.files = append(r.files, settings["SIM_INVENTORY"])
	if ca := settings["SSL_CERT_FILE"]; ca != "" {
		r.files = append(r.files, ca)
	}
	u, err := url.Parse(settings["GITHUB_API_URL"])
	ts.Check(err)
	_, port, err := net.SplitHostPort(u.Host)
	ts.Check(err)
	ts.Setenv("SIM_PORT", port)
	ts.Setenv("GH_HOST", "localhost:"+port)
	ts.Setenv("GH_ENTERPRISE_TOKEN", settings["GITHUB_TOKEN"])
	ts.Setenv("GH_CONFIG_DIR", ts.MkAbs(".gh"))
	ts.Setenv("GH_NO_UPDATE_NOTIFIER", "1")
	ts.Setenv("GH_PROMPT_DISABLED", "1")
	servesMu.Lock()
	serves[ts] = r
	servesMu.Unlock()
}

// ghCondition is the script condition [gh]: gh is installed. In CI (CI
// set) a missing gh is an error rather than a skipped test: .ci/run
// installs it.
func ghCondition(cond string) (bool, error) {
	if cond == "moto" {
		// [moto]: moto can run (internal/awsapi/awstest); with CI set a
		// missing moto is an error, since .ci/run installs it.
		err := awstest.Available()
		if err != nil && os.Getenv("CI") != "" {
			return false, fmt.Errorf("moto is not available, and CI is set: %v (.ci/run installs it)", err)
		}
		return err == nil, nil
	}
	if cond == "root" {
		// [root]: the tests run as root, and can give files away (chown).
		return os.Geteuid() == 0, nil
	}
	if cond != "gh" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath("gh"); err == nil {
		return true, nil
	}
	if os.Getenv("CI") != "" {
		return false, errors.New("gh is not installed, and CI is set: install it (Debian: apt-get install -y gh; .ci/run does it)")
	}
	return false, nil
}
