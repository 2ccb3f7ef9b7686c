package ui

import (
	"bufio"
	"io"
	"strings"
	"unicode"

	"github.com/mattn/go-runewidth"
)

// Group is one heading line and the items beneath it: a step and each of
// its instances, say. Groups lay out as a list rather than a table, so
// that a fan-out of a hundred items does not repeat its step a hundred
// times and a narrow terminal still shows every target whole.
type Group struct {
	// Heading holds the heading's columns. The columns of every group's
	// heading are aligned with each other; the last one wraps.
	Heading []string
	// Style colours the heading (nil: plain).
	Style func(string) string
	Items []Item
}

// Item is one thing beneath a heading: its target first, then what
// happens to it.
type Item struct {
	// Mark is a one-column sign in the gutter before the target ("!", "✓").
	Mark string
	// MarkStyle colours the mark only; Style colours the whole item.
	MarkStyle, Style func(string) string
	// Target is shown first and whole: it wraps only when it is wider than
	// the line. Empty or "-": the item has no target and shows its detail
	// alone.
	Target string
	// Detail says what happens to the target; it wraps to the width.
	Detail string
}

const (
	itemIndent  = 4  // column where targets start (after a two-column gutter at 2)
	detailStep  = 2  // a detail under its target is indented this much more
	minDetail   = 32 // narrowest detail column worth putting beside the targets
	maxTargetW0 = 60 // with no width limit, pad targets to at most this
	colGap      = 2
)

// Groups writes groups fitted to width columns. Width 0 means no limit:
// nothing is wrapped or cut, each item stays on one line. Every string is
// cleaned of control characters first (it may come from an API).
func Groups(w io.Writer, width int, groups []Group) error {
	bw := bufio.NewWriter(w)
	for _, l := range layoutGroups(width, groups) {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// layoutGroups returns the lines (styled) Groups writes.
func layoutGroups(width int, groups []Group) []string {
	// Heading column widths, over every group (the last column is free).
	var colW []int
	for _, g := range groups {
		for i, c := range g.Heading {
			if i == len(g.Heading)-1 {
				break
			}
			for len(colW) <= i {
				colW = append(colW, 0)
			}
			colW[i] = max(colW[i], StringWidth(Clean(c)))
		}
	}
	var out []string
	for _, g := range groups {
		out = append(out, heading(g, colW, width)...)
		out = append(out, items(g.Items, width)...)
	}
	return out
}

func heading(g Group, colW []int, width int) []string {
	style := orPlain(g.Style)
	fixed := 0
	for i := range len(g.Heading) - 1 {
		fixed += colW[i] + colGap
	}
	if width > 0 && width-fixed < minDetail/2 {
		// The columns alone nearly fill the line: wrap the heading as text.
		var cs []string
		for _, c := range g.Heading {
			cs = append(cs, Clean(c))
		}
		lines := wrapFirst(strings.Join(cs, "  "), width, width-itemIndent)
		for i := range lines {
			if i > 0 {
				lines[i] = strings.Repeat(" ", itemIndent) + lines[i]
			}
			lines[i] = style(lines[i])
		}
		return lines
	}
	var b strings.Builder
	col := 0
	for i, c := range g.Heading {
		c = Clean(c)
		if i == len(g.Heading)-1 {
			// The last column wraps, hanging under itself if there is
			// room for it, else under the second column.
			indent := col
			if width > 0 && width-col < minDetail {
				indent = itemIndent
			}
			lines := wrapFirst(c, width-col, width-indent)
			if len(lines) == 0 {
				lines = []string{""}
			}
			res := []string{strings.TrimRight(b.String()+lines[0], " ")}
			for _, l := range lines[1:] {
				res = append(res, strings.Repeat(" ", indent)+l)
			}
			for i := range res {
				res[i] = style(res[i])
			}
			return res
		}
		b.WriteString(c)
		pad := colW[i] - StringWidth(c) + colGap
		b.WriteString(strings.Repeat(" ", pad))
		col += colW[i] + colGap
	}
	return []string{style(strings.TrimRight(b.String(), " "))}
}

func items(its []Item, width int) []string {
	tw := 0
	for _, it := range its {
		if t := itemTarget(it); t != "" {
			tw = max(tw, StringWidth(t))
		}
	}
	if width <= 0 {
		tw = min(tw, maxTargetW0)
	}
	detailCol := itemIndent + tw + colGap
	// Side by side (target, then its detail in a column of its own) when every detail then fits on its line, or nearly
	// every one (the others go under their targets: a failure among a
	// hundred successes, say); or when there is one item and room enough
	// to wrap its detail beside it. Else each detail under its target:
	// details wrapping here and there in a column are hard to read.
	fits := func(it Item) bool {
		return width <= 0 || itemTarget(it) == "" || StringWidth(strings.Join(strings.Fields(Clean(it.Detail)), " ")) <= width-detailCol
	}
	n := 0
	for _, it := range its {
		if fits(it) {
			n++
		}
	}
	room := width - detailCol
	side := width <= 0 || (room > 0 && n*4 >= len(its)*3) || (len(its) == 1 && room >= minDetail)
	var out []string
	for _, it := range its {
		out = append(out, item(it, width, side && (fits(it) || len(its) == 1), detailCol)...)
	}
	return out
}

func itemTarget(it Item) string {
	t := Clean(it.Target)
	if t == "-" {
		return ""
	}
	return t
}

func item(it Item, width int, side bool, detailCol int) []string {
	style, markStyle := orPlain(it.Style), orPlain(it.MarkStyle)
	mark := Clean(it.Mark)
	target, detail := itemTarget(it), Clean(it.Detail)
	var lines []string
	switch {
	case target == "":
		lines = hang(detail, itemIndent, width)
	case side:
		pad := max(detailCol-itemIndent-StringWidth(target), colGap)
		first := target + strings.Repeat(" ", pad)
		ds := wrapFirst(detail, width-itemIndent-StringWidth(first), width-detailCol)
		if len(ds) == 0 {
			lines = []string{target}
			break
		}
		lines = append(lines, first+ds[0])
		for _, d := range ds[1:] {
			lines = append(lines, strings.Repeat(" ", detailCol-itemIndent)+d)
		}
	default:
		lines = hang(target, itemIndent, width)
		for _, d := range hang(detail, itemIndent+detailStep, width) {
			lines = append(lines, strings.Repeat(" ", detailStep)+d)
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		g := strings.Repeat(" ", itemIndent)
		if i == 0 && mark != "" {
			g = "  " + markStyle(mark) + strings.Repeat(" ", max(1, itemIndent-2-StringWidth(mark)))
		}
		out[i] = g + style(strings.TrimRight(l, " "))
	}
	return out
}

// Wrap wraps text to width columns (0: no limit), each line after the
// first indented by indent spaces.
func Wrap(s string, width, indent int) []string {
	if width <= 0 {
		return wrapFirst(Clean(s), 0, 0)
	}
	lines := wrapFirst(Clean(s), width, max(width-indent, 1))
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.Repeat(" ", indent) + lines[i]
	}
	return lines
}

// hang wraps s to the room left after indent columns (no limit when width
// is 0); the lines carry no indent.
func hang(s string, indent, width int) []string {
	if width <= 0 {
		return wrapFirst(s, 0, 0)
	}
	room := max(width-indent, 1)
	return wrapFirst(s, room, room)
}

// wrapFirst wraps s at spaces: the first line fits first columns, the
// others rest columns. A word wider than its line is broken. A limit of 0
// or less means no limit (with rest <= 0, nothing wraps).
func wrapFirst(s string, first, rest int) []string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	if s == "" {
		return nil
	}
	if rest <= 0 {
		return []string{s}
	}
	if first <= 0 {
		first = rest
	}
	var lines []string
	var cur strings.Builder
	curW, limit := 0, first
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		curW, limit = 0, rest
	}
	for _, word := range strings.Split(s, " ") {
		ww := StringWidth(word)
		if cur.Len() > 0 && curW+1+ww <= limit {
			cur.WriteByte(' ')
			cur.WriteString(word)
			curW += 1 + ww
			continue
		}
		if cur.Len() > 0 {
			flush()
		}
		// Break a word wider than a whole line.
		for ww > limit {
			head, tail := cutWidth(word, limit)
			if head == "" { // a single rune wider than the line
				head, tail = string([]rune(word)[:1]), string([]rune(word)[1:])
			}
			cur.WriteString(head)
			flush()
			word, ww = tail, StringWidth(tail)
		}
		cur.WriteString(word)
		curW = ww
	}
	if cur.Len() > 0 {
		flush()
	}
	return lines
}

// cutWidth splits s after at most w columns.
func cutWidth(s string, w int) (string, string) {
	n := 0
	for i, r := range s {
		rw := runewidth.RuneWidth(r)
		if n+rw > w {
			return s[:i], s[i:]
		}
		n += rw
	}
	return s, ""
}

// StringWidth is the number of terminal columns s takes (s holds no
// escape sequences).
func StringWidth(s string) int { return runewidth.StringWidth(s) }

// Clean makes text from the world safe to print on a terminal: control
// characters (escape sequences, carriage returns, …) become spaces or
// U+FFFD, so a repository name or an API's message cannot move the cursor,
// recolour the screen or hide a line.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	unsafe := func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }
	if strings.IndexFunc(s, unsafe) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case unsafe(r):
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

func orPlain(f func(string) string) func(string) string {
	if f == nil {
		return func(s string) string { return s }
	}
	return f
}

// MaxWidth is the width of the widest line of s, in terminal columns.
func MaxWidth(s string) int {
	w := 0
	for _, line := range strings.Split(s, "\n") {
		w = max(w, StringWidth(line))
	}
	return w
}

// Cell fits text from the world into a column w terminal columns wide:
// made safe (Clean), on one line, cut with "…" when longer, padded with
// spaces when shorter.
func Cell(s string, w int) string {
	s = strings.Join(strings.Fields(Clean(s)), " ")
	if w <= 0 {
		return ""
	}
	if StringWidth(s) > w {
		s, _ = cutWidth(s, w-1)
		s += "…"
	}
	return s + strings.Repeat(" ", w-StringWidth(s))
}
