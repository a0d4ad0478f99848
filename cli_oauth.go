package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"xtraauth/app"
)

func clientCommand() *cobra.Command {
	client := &cobra.Command{Use: "client", Short: "Add, list and remove OAuth2 clients (client credentials)"}
	var sudo bool
	var tenants []string
	add := &cobra.Command{
		Use:   "add ID",
		Short: "Add a client and print its secret (shown once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, func(a *app.App) error {
				_, secret, err := a.OAuth.CreateClient(cmd.Context(), args[0], sudo, tenants)
				if err != nil {
					return cliError(err, "client "+args[0])
				}
				fmt.Fprintln(cmd.OutOrStdout(), secret)
				return nil
			})
		},
	}
	add.Flags().BoolVar(&sudo, "sudo", false, "let the client act as users of its tenants")
	add.Flags().StringArrayVar(&tenants, "tenant", nil, "code of a tenant the client may use (repeatable; default: the default tenant)")
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List clients (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(cmd, func(a *app.App) error {
				clients, err := a.OAuth.Clients(cmd.Context())
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tSUDO\tTENANT IDS\tCREATED")
				for _, c := range clients {
					ids := strings.Trim(fmt.Sprint(c.TenantIDs), "[]")
					fmt.Fprintf(w, "%s\t%t\t%s\t%s\n", c.ID, c.MaySudo, ids, c.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
				}
				return w.Flush()
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a client and end its access tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, func(a *app.App) error {
				if err := a.OAuth.RemoveClient(cmd.Context(), args[0]); err != nil {
					return cliError(err, "client "+args[0])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed client %s\n", args[0])
				return nil
			})
		},
	}
	client.AddCommand(add, listCmd, remove)
	return client
}

func tenantCommand() *cobra.Command {
	tenant := &cobra.Command{Use: "tenant", Short: "Add and list tenants"}
	var name string
	add := &cobra.Command{
		Use:   "add CODE",
		Short: "Add a tenant",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, func(a *app.App) error {
				t, err := a.OAuth.CreateTenant(cmd.Context(), args[0], name)
				if err != nil {
					return cliError(err, "tenant "+args[0])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "added tenant %s (id %d)\n", t.Code, t.ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&name, "name", "", "display name (default: the code)")
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List tenants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(cmd, func(a *app.App) error {
				tenants, err := a.OAuth.Tenants(cmd.Context())
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tCODE\tNAME")
				for _, t := range tenants {
					fmt.Fprintf(w, "%d\t%s\t%s\n", t.ID, t.Code, t.Name)
				}
				return w.Flush()
			})
		},
	}
	tenant.AddCommand(add, listCmd)
	return tenant
}
