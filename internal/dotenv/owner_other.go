//go:build !unix

package dotenv

import "io/fs"

// ownerOf is -1 where files have no numeric owner.
func ownerOf(fs.FileInfo) int { return -1 }
