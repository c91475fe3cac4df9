package updates

import (
	"context"
	"log/slog"
	"time"
)

// RunResigner re-signs due online metadata of every repository now and
// then every interval until ctx ends. Several servers may run it on one
// database: a version written twice is refused by the store and retried, so
// they never publish conflicting metadata.
func (s *Service) RunResigner(ctx context.Context, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		done, expiring, err := s.Resign(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("re-sign update metadata", "err", err)
		}
		for _, slug := range done {
			log.Info("re-signed update metadata", "product", slug)
		}
		for _, slug := range expiring {
			log.Warn("update repository root expires within 30 days: run 'rampart updates rotate-root'", "product", slug)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
