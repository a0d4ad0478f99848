package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"xtraauth/integrations"
)

// integrationsCommand checks platform credentials. It builds the clients
// from the settings alone: no store is opened and nothing is sent but the
// robots' test message.
func integrationsCommand() *cobra.Command {
	integ := &cobra.Command{Use: "integrations", Short: "Check the DingTalk, Feishu, Coding and robot settings"}
	test := &cobra.Command{
		Use:       "test dingtalk|feishu|coding|robots",
		Short:     "Check a platform's credentials: prints ok, or the platform's error and exits 1 (robots post a test message)",
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"dingtalk", "feishu", "coding", "robots"},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*cfg.Integrations.PlatformTimeout)
			defer cancel()
			results, err := integrations.New(cfg.Integrations, time.Now).Check(ctx, args[0])
			if err != nil {
				return err
			}
			return report(cmd, results)
		},
	}
	integ.AddCommand(test)
	return integ
}

// report prints one line per platform checked, and fails if any failed.
func report(cmd *cobra.Command, results map[string]error) error {
	names := make([]string, 0, len(results))
	for name := range results {
		names = append(names, name)
	}
	slices.Sort(names)
	failed := 0
	for _, name := range names {
		line := "ok"
		if err := results[name]; err != nil {
			line, failed = err.Error(), failed+1
		}
		if len(results) > 1 && !strings.HasPrefix(line, name+": ") {
			line = name + ": " + line
		}
		fmt.Fprintln(cmd.OutOrStdout(), line)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(results))
	}
	return nil
}
