// Command xtraauth is an XSwitch-style login service and its operator CLI.
// `xtraauth` (or `xtraauth serve`) runs the server; the other commands
// change users, dev_keys and locks in the same stores, also while the
// server runs.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"xtraauth/app"
	"xtraauth/config"
)

func main() {
	// go-redis would print its own lines about failed dials next to the
	// one error line naming the setting; the errors reach us anyway.
	redis.SetLogger(quietRedis{})
	root := rootCommand(os.Stdin, os.Stdout, os.Stderr)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "xtraauth:", err)
		os.Exit(1)
	}
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// rootCommand builds the whole CLI; tests run it with their own streams.
func rootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "xtraauth",
		Short:         "XSwitch-style login service: sessions, captchas, lockout, dev_keys",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	config.AddFlags(root.PersistentFlags())
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (the default command)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runServe(cmd) },
	}
	root.RunE = serve.RunE
	root.AddCommand(serve, userCommand(), devkeyCommand(), unlockCommand(), clientCommand(), tenantCommand(),
		benchCommand(), integrationsCommand())
	return root
}

func loadConfig(cmd *cobra.Command) (config.Config, error) {
	return config.Load(cmd.Flags(), os.Getenv)
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func runServe(cmd *cobra.Command) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	log := newLogger(cmd.ErrOrStderr(), cfg.LogFormat)
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	a, err := app.OpenServer(ctx, cfg, log, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	created, generated, err := a.Accounts.EnsureAdmin(ctx, cfg.AdminLogin, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("creating the first admin: %w", err)
	}
	if created && generated != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "created super admin %q with password %s (shown once; change it)\n", cfg.AdminLogin, generated)
	}
	go app.LimitMemory(ctx, cfg.Argon2.Memory)
	a.StartBackground(ctx)
	a.StartIntegrations(ctx)
	return serveHTTP(ctx, a, log)
}

func serveHTTP(ctx context.Context, a *app.App, log *slog.Logger) error {
	srv := &http.Server{Addr: a.Cfg.Addr, Handler: a.Handler(),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", a.Cfg.Addr, "database", a.SQL.Dialect(), "embedded_redis", a.Embedded != nil)
	select {
	case err := <-errc:
		return fmt.Errorf("XTRA_ADDR: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
