package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// together PROG ARGS...: start two copies of PROG at once, with the
// script's environment, and wait for both. Their exit codes go to
// $WORK/together.codes ("0 6", in the order they were started), and each
// one's stderr to together.1.stderr and together.2.stderr (stdout to
// together.N.stdout).
func cmdTogether(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: together PROG ARGS...")
	}
	prog := lookPath(ts, args[0])
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "" {
			env = append(env, k+"="+ts.Getenv(k))
		}
	}
	for _, k := range []string{"RESPOND_STATE_DIR", "NO_COLOR", "OPENAI_BASE_URL", "OPENAI_ADMIN_KEY", "GITHUB_API_URL", "GITHUB_TOKEN", "PATH", "HOME", "TMPDIR", "RESPOND_TEST_CRASH_BEFORE"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	codes := make([]int, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(prog, args[1:]...)
			cmd.Dir = ts.MkAbs(".")
			cmd.Env = env
			var errb, outb bytes.Buffer
			cmd.Stderr = &errb
			cmd.Stdout = &outb
			<-start
			err := cmd.Run()
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee):
				codes[i] = ee.ExitCode()
			default:
				codes[i] = -1
			}
			_ = os.WriteFile(ts.MkAbs(filepath.Join(".", "together."+string(rune('1'+i))+".stderr")), errb.Bytes(), 0o600)
			_ = os.WriteFile(ts.MkAbs(filepath.Join(".", "together."+string(rune('1'+i))+".stdout")), outb.Bytes(), 0o600)
		}()
	}
	close(start)
	wg.Wait()
	ts.Check(os.WriteFile(ts.MkAbs("together.codes"), []byte(strings.TrimSpace(itoa(codes[0])+" "+itoa(codes[1]))+"\n"), 0o600))
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// lookPath finds prog in the script's PATH.
func lookPath(ts *testscript.TestScript, prog string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, prog)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	ts.Fatalf("%s is not in the script's PATH", prog)
	return ""
}
