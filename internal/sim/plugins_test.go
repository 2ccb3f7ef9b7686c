package sim

// The scenarios' inventories are checked against the registered
// providers and target types.
import _ "github.com/respondhq/respond/internal/plugins"
