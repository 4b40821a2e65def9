package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// go-redis writes connection-pool noise ("failed to dial ...") through
// its own process-wide logger, straight to stderr, which breaks JSON logs.
// The first Open routes it into our structured logger at debug level: the
// errors that matter already reach callers as bot.ErrUnavailable.
var routeClientLogs sync.Once

type clientLog struct{ log *slog.Logger }

func (l clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}

func useClientLogger(log *slog.Logger) {
	routeClientLogs.Do(func() { goredis.SetLogger(clientLog{log: log}) })
}
