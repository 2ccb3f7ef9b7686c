package cli

import (
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/secret"
)

// refuseSecretArgs refuses a command line that holds something shaped like
// a credential (see secret.LooksLikeSecret). respond takes no secret as an
// argument, so one there was pasted into the wrong place: it is refused
// before anything could echo it, journal it (the command line is
// journaled) or send it in a request path, and the message names the flag,
// never the value.
func refuseSecretArgs(args []string) error {
	for i, a := range args {
		kind, ok := secret.LooksLikeSecret(a)
		if !ok {
			continue
		}
		where := fmt.Sprintf("argument %d", i+1)
		switch {
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
			name, _, _ := strings.Cut(a, "=")
			where = name
		case i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "="):
			where = args[i-1]
		}
		return &UsageError{fmt.Errorf("%s holds what looks like %s, not an identifier or a name; respond refuses it without showing or using it "+
			"(arguments end up in shell history, process lists, the journal and request URLs). "+
			"Give a leaked key's value on standard input instead: `pbpaste | respond leaked-key --key-stdin` "+
			"(or --secret-stdin NAME for a playbook's secret input). A credential typed on a command line is in your shell history now: remove it from there", where, kind)}
	}
	return nil
}
