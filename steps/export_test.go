package steps

import "time"

// FastDispatchTiming shortens github.dispatch_workflow's polling and
// searching for a test, and returns a function that restores them.
func FastDispatchTiming() (restore func()) {
	old := []time.Duration{findRunFor, lostResponseEvery, pollFirst, pollMax}
	oldChecks := lostResponseChecks
	findRunFor, lostResponseEvery, pollFirst, pollMax = time.Second, 20*time.Millisecond, 10*time.Millisecond, 50*time.Millisecond
	lostResponseChecks = 5
	return func() {
		findRunFor, lostResponseEvery, pollFirst, pollMax = old[0], old[1], old[2], old[3]
		lostResponseChecks = oldChecks
	}
}
