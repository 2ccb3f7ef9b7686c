package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X github.com/respondhq/respond/internal/cli.Version=v1.2.3".
var Version = ""

type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func buildVersion() versionInfo {
	v := versionInfo{Version: Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v.Commit = s.Value[:12]
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	return v
}

// text is the version line of `respond version` and `respond --version`.
func (v versionInfo) text() string {
	commit := ""
	if v.Commit != "" {
		commit = " (" + v.Commit + ")"
	}
	return fmt.Sprintf("respond %s%s %s %s/%s", v.Version, commit, v.Go, v.OS, v.Arch)
}

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print respond's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := buildVersion()
			if f.JSON() {
				return writeJSON(f, v)
			}
			fmt.Fprintln(f.IO.Out, v.text())
			return nil
		},
	}
}
