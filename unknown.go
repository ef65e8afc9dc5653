package restel

import (
	"context"
	"time"

	"github.com/restel/restel/provider"
)

// unknown returns a provider read that yields the all-unknown snapshot
// and err.
func unknown(err error) func(context.Context) (provider.Snapshot, error) {
	return func(context.Context) (provider.Snapshot, error) { return provider.Unknown(time.Now()), err }
}
