// Command mlsd runs the MLSD interview coach: in the terminal with no
// configuration, or on Slack and Discord when their tokens are set.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mlsd:", err)
		stop()
		os.Exit(1)
	}
}
