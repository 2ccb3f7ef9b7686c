package yamlsrc

import (
	"fmt"
	"io"
	"os"

	"github.com/respondhq/respond/internal/diag"
)

// Limits on what is parsed. Playbooks and inventories are a few kilobytes
// with a handful of levels; the YAML parser's time and memory grow much
// faster than the input on deeply nested flow collections (160 KB of
// brackets took 9.7 GB), so both are capped before parsing.
const (
	// MaxSize is the largest file read or parsed, in bytes.
	MaxSize = 1 << 20
	// MaxDepth is the deepest nesting of collections: flow brackets and
	// braces, and block indentation levels.
	MaxDepth = 64
)

// ReadFile reads a playbook or inventory, refusing one larger than MaxSize
// (or endless, such as /dev/zero) without reading more than that.
func ReadFile(path string, kind Kind) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%s is larger than %d KiB, too large for %s %s (they are a few KiB): check the path", path, MaxSize>>10, kind.Article, kind.Name)
	}
	return b, nil
}

// checkLimits reports a source too large or too deeply nested to parse.
func (d *Doc) checkLimits() bool {
	if len(d.Src) > MaxSize {
		d.Errorf(diag.Pos{File: d.File, Line: 1, Col: 1}, 0, "check that this is the right file",
			"the file is %d bytes, larger than the %d KiB %s %s may have", len(d.Src), MaxSize>>10, d.Kind.Article, d.Kind.Name)
		return false
	}
	if pos, depth, ok := nesting(d.Src); !ok {
		pos.File = d.File
		d.Errorf(pos, 0, "flatten the structure: no "+d.Kind.Name+" needs that many levels",
			"collections are nested more than %d levels deep (%s)", MaxDepth, depth)
		return false
	}
	return true
}

// nesting scans src for flow collections nested deeper than MaxDepth, or
// lines indented more than MaxDepth levels (of one space or more) deeper
// than the shallowest. Quoted strings and comments are skipped. It returns
// the position where the limit is passed.
func nesting(src []byte) (pos diag.Pos, what string, ok bool) {
	line, col, depth := 1, 0, 0
	var quote byte
	comment := false
	indents := []int{} // stack of block indentations
	lineStart := true
	indent := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		col++
		if c == '\n' {
			// A quoted scalar may span lines: quote stays set.
			line, col, comment, lineStart, indent = line+1, 0, false, true, 0
			continue
		}
		if lineStart {
			if c == ' ' {
				indent++
				continue
			}
			lineStart = false
			if c != '#' && quote == 0 && depth == 0 {
				for len(indents) > 0 && indents[len(indents)-1] >= indent {
					indents = indents[:len(indents)-1]
				}
				indents = append(indents, indent)
				if len(indents) > MaxDepth {
					return diag.Pos{Line: line, Col: col}, "indentation", false
				}
			}
		}
		switch {
		case comment:
		case quote != 0:
			switch {
			case quote == '"' && c == '\\':
				i++
				col++
			case c == quote:
				quote = 0
			}
		case c == '#' && (i == 0 || src[i-1] == ' ' || src[i-1] == '\t' || src[i-1] == '\n'):
			comment = true
		case c == '"' || c == '\'':
			if i == 0 || isQuoteStart(src[i-1]) {
				quote = c
			}
		case c == '[' || c == '{':
			depth++
			if depth > MaxDepth {
				return diag.Pos{Line: line, Col: col}, "brackets or braces", false
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return diag.Pos{}, "", true
}

// isQuoteStart reports whether a quote after c opens a quoted scalar
// (after a blank, an indicator or the start of a flow item), rather than
// being part of a plain scalar such as don't.
func isQuoteStart(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '[', '{', ',', ':', '-', '?':
		return true
	}
	return false
}
