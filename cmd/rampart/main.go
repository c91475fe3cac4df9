// Command rampart is the product-security platform for makers of connected
// devices: one binary holding the CLI and the server.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rampart-security/rampart/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
