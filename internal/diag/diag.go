// Package diag reports problems in user-written files (playbooks,
// inventories) with their source position, all at once.
package diag

// Pos is a position in a source file. Line and Col are 1-based; Col counts
// bytes... (see Render for display).
type Pos struct {
	File string
	Line int
	Col  int
}
