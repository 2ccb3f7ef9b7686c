//go:build linux

package childproc

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// supervise makes cmd start under the supervisor, when one is enabled: the
// supervisor leads the command's process group and gets SIGTERM when
// respond dies (a parent-death signal, which the kernel sends even after
// SIGKILL); it then kills the whole group. The command's own parent-death
// signal reaches only the command, not what it started.
func supervise(cmd *exec.Cmd) bool {
	exe, argv0 := supervisorCommand()
	if exe == "" {
		return false
	}
	args := append([]string{argv0, SupervisorArg, strconv.Itoa(os.Getpid()), cmd.Path}, cmd.Args...)
	cmd.Path, cmd.Args = exe, args
	return true
}

// Supervise is the supervisor's main: args are respond's process ID, the
// program's path and its argv. It runs the program in its own process
// group (which respond created for the supervisor) with the supervisor's
// standard streams, environment and directory, and exits as the program
// did: with its exit code, or by the same signal. When respond dies it
// kills the group, itself included. It returns an exit code only on a
// usage or start error.
func Supervise(args []string) int {
	if len(args) < 3 {
		fmt.Fprintln(os.Stderr, "respond: "+SupervisorArg+" is internal to respond's exec steps and targets")
		return 2
	}
	parent, err := strconv.Atoi(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "respond: "+SupervisorArg+": bad parent process ID")
		return 2
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	orphaned := func() bool { return os.Getppid() != parent }
	killGroup := func() {
		_ = syscall.Kill(-syscall.Getpgrp(), syscall.SIGKILL)
		os.Exit(137) // not reached: SIGKILL reached this process too
	}
	if orphaned() { // respond died before the signal was armed
		killGroup()
	}
	p, err := os.StartProcess(args[1], args[2:], &os.ProcAttr{
		Env:   os.Environ(),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "respond: could not start %s: %v\n", args[1], err)
		return 127
	}
	// The program holds the streams now.
	os.Stdin.Close()
	done := make(chan *os.ProcessState, 1)
	go func() {
		st, _ := p.Wait()
		done <- st
	}()
	for {
		select {
		case <-sigs:
			// respond signals the whole group to stop the command; the
			// program got that signal too. Only respond's death matters
			// here.
			if orphaned() {
				killGroup()
			}
		case st := <-done:
			if st == nil {
				return 1
			}
			if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				switch sig := ws.Signal(); sig {
				case syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP:
					// End the same way, so that respond reports the signal.
					signal.Reset()
					_ = syscall.Kill(os.Getpid(), sig)
					time.Sleep(time.Second) // the signal is delivered meanwhile
					return 128 + int(sig)
				default:
					// Raising these would make the Go runtime print a
					// stack; the shell's convention says the same.
					return 128 + int(sig)
				}
			}
			return st.ExitCode()
		}
	}
}
