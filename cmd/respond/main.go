// Command respond responds to leaked API keys: it revokes the key, creates
// a replacement, deploys it everywhere, verifies, closes the alert and
// writes an incident report. See https://github.com/respondhq/respond.
package main

import (
	"os"

	"github.com/respondhq/respond/internal/cli"
)

func main() { os.Exit(cli.Main()) }
