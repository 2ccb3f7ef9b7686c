package steps

// The step kinds of the tests are built from the registered plug-ins.
import _ "github.com/respondhq/respond/internal/plugins"
