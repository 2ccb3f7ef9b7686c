//go:build race

package githubsim_test

// raceEnabled reports whether the tests run under the race detector, which
// slows request handling several-fold.
const raceEnabled = true
