// Command mlsd runs the MLSD interview coach: in the terminal with no
// configuration, or on Slack and Discord when their tokens are set.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	// Embedded zone data: schedules and MLSD_TIMEZONE work on hosts and
	// images without /usr/share/zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signalNotifyContext()
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mlsd:", err)
		stop()
		os.Exit(1)
	}
}

// signalNotifyContext is cancelled by Ctrl-C or SIGTERM (graceful shutdown).
func signalNotifyContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
