// Package ui renders what commands show people: tables, colours and the
// run's progress. Colour is used only when the streams allow it.
package ui

import (
	"bytes"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Table writes a table with a header row, as wide as its cells need.
func Table(w io.Writer, header []string, rows [][]string) error {
	return FitTable(w, 0, header, rows)
}

// FitTable writes a table with a header row within width columns (the
// terminal's; 80 where the output is no terminal): when its cells need
// more, the longest are wrapped at spaces inside their cells. A table
// that fits is the same as Table's.
func FitTable(w io.Writer, width int, header []string, rows [][]string) error {
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone))
	t.Header(toAny(header)...)
	for _, r := range rows {
		if err := t.Append(toAny(r)...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if width == 0 || MaxWidth(buf.String()) <= width {
		_, err := w.Write(buf.Bytes())
		return err
	}
	t = tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithHeaderAutoWrap(tw.WrapNormal), tablewriter.WithMaxWidth(width))
	t.Header(toAny(header)...)
	for _, r := range rows {
		if err := t.Append(toAny(r)...); err != nil {
			return err
		}
	}
	return t.Render()
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i := range s {
		out[i] = s[i]
	}
	return out
}

// Palette colours text when enabled.
type Palette struct{ Enabled bool }

func (p Palette) wrap(code, s string) string {
	if !p.Enabled {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Green for success.
func (p Palette) Green(s string) string { return p.wrap("32", s) }

// Red for failure.
func (p Palette) Red(s string) string { return p.wrap("31", s) }

// Yellow for warnings and skips.
func (p Palette) Yellow(s string) string { return p.wrap("33", s) }

// Bold for headings.
func (p Palette) Bold(s string) string { return p.wrap("1", s) }

// Dim for secondary text.
func (p Palette) Dim(s string) string { return p.wrap("2", s) }
