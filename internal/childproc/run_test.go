package childproc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/secret"
)

// hasRun reports whether s holds any 12-character run of secret.
func hasRun(s, secret string) bool {
	for i := 0; i+12 <= len(secret); i++ {
		if strings.Contains(s, secret[i:i+12]) {
			return true
		}
	}
	return false
}

func TestDisplayArgv(t *testing.T) {
	got := DisplayArgv([]string{"/usr/bin/env", "A=b", "it's", "$HOME", "", "a-b_c.d/e:f@g"})
	want := `/usr/bin/env A=b "it's" "$HOME" "" a-b_c.d/e:f@g`
	if got != want {
		t.Errorf("displayArgv = %s, want %s", got, want)
	}
}

// TestStderrTailNeverHoldsPartOfSecret cuts the kept tail of standard
// error at every offset of a secret (the tail was once masked after the
// cut, so a cut secret no longer matched), with the stream arriving in
// writes of several sizes.
func TestStderrTailNeverHoldsPartOfSecret(t *testing.T) {
	key := "sk-svcacct-" + strings.Repeat("Ab3_", 39) // 167 characters
	reg := secret.NewRegistry()
	reg.Add(secret.New(key))
	for _, deferred := range []bool{false, true} {
		for k := 0; k <= len(key); k++ {
			stream := "start\n" + key + strings.Repeat("x", stderrTail-k)
			for _, chunk := range []int{1, 13, 4096} {
				var logged []string
				l := newLineLog(reg, func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }, deferred)
				for i := 0; i < len(stream); i += chunk {
					l.Write([]byte(stream[i:min(len(stream), i+chunk)]))
				}
				l.flush()
				l.finish(reg, true)
				tail, _ := l.tailString()
				if hasRun(tail, key) {
					t.Fatalf("deferred=%v cut at %d, writes of %d: the tail holds part of the key: %q…", deferred, k, chunk, tail[:min(len(tail), 200)])
				}
				if hasRun(strings.Join(logged, "\n"), key) {
					t.Fatalf("deferred=%v cut at %d, writes of %d: the log holds part of the key", deferred, k, chunk)
				}
			}
		}
	}
}

// TestDeferredStderrCutDropsPartialSecret: a deferred stream cut at its
// bound in the middle of a secret keeps no part of it.
func TestDeferredStderrCutDropsPartialSecret(t *testing.T) {
	key := "sk-svcacct-" + strings.Repeat("Zq9-", 39)
	reg := secret.NewRegistry()
	reg.Add(secret.New(key))
	l := newLineLog(reg, nil, true)
	l.Write([]byte(strings.Repeat("y", maxStderr-50) + key))
	l.finish(reg, false)
	if tail, _ := l.tailString(); hasRun(tail, key) || !strings.HasSuffix(tail, "y") {
		t.Fatalf("the cut kept part of the key: …%q", tail[max(0, len(tail)-80):])
	}
}
