package report

// The report words providers as the registered ones declare themselves.
import _ "github.com/respondhq/respond/internal/plugins"
