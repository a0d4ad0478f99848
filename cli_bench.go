package main

import (
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"xtraauth/bench"
)

func benchCommand() *cobra.Command {
	opt := bench.Options{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load an in-process server on loopback and print one table of rates, ratios and latencies",
		Long: `Start the server in-process on 127.0.0.1 (a random port) on stores of its own — a
temporary data dir with SQLite and the in-process Redis, or with --database-url a fresh
PostgreSQL schema and with --redis-url/--redis-cluster a fresh key prefix, all removed at the
end — make the users, dev_key, OAuth client and captchas the rows need, load each row with
--connections looping connections for --duration, and print one Markdown table.

The password hash cost is the configured one (XTRA_ARGON2_* or --argon2-*), so logins are
compared with raw argon2id of the same parameters. Rows: ` + strings.Join(bench.Rows(), ", ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			opt.Progress = cmd.ErrOrStderr()
			return bench.Run(ctx, cfg, opt, newLogger(io.Discard, cfg.LogFormat), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&opt.Connections, "connections", 64, "concurrent connections of a row")
	f.DurationVar(&opt.Duration, "duration", 5*time.Second, "load time of a row")
	f.StringSliceVar(&opt.Only, "only", nil, "run only these rows (comma-separated): "+strings.Join(bench.Rows(), ", "))
	f.IntVar(&opt.Sessions, "sessions", 20000, "sessions made for the heap row")
	f.StringVar(&opt.CPUProfile, "cpuprofile", "", "write a CPU profile of the rows to this file")
	f.StringVar(&opt.MemProfile, "memprofile", "", "write a heap profile taken after the rows to this file")
	return cmd
}
