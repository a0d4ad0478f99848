package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"xtraauth/account"
	"xtraauth/app"
	"xtraauth/store"
)

// withApp runs fn on the stores the CLI reaches, closing them after.
func withApp(cmd *cobra.Command, fn func(a *app.App) error) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	a, err := app.OpenCLI(cmd.Context(), cfg, newLogger(cmd.ErrOrStderr(), cfg.LogFormat), time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	// The audit trail names the CLI as the author of its changes.
	cmd.SetContext(account.WithOrigin(cmd.Context(), account.Origin{Login: "cli"}))
	return fn(a)
}

func userCommand() *cobra.Command {
	user := &cobra.Command{Use: "user", Short: "Add, list, disable users and set their passwords"}
	var name string
	var admin bool
	add := &cobra.Command{
		Use:   "add LOGIN",
		Short: "Add a user; the password is read from stdin, or prompted for without echo on a terminal",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := readPassword(cmd)
			if err != nil {
				return err
			}
			return withApp(cmd, func(a *app.App) error {
				display := name
				if display == "" {
					display = args[0]
				}
				u, err := a.Accounts.Create(cmd.Context(), store.User{Login: args[0], Name: display, IsSuper: admin, Type: store.UserTypeNormal}, password)
				if err != nil {
					return cliError(err, args[0])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "added user %s (id %d)\n", u.Login, u.ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&name, "name", "", "display name (default: the login)")
	add.Flags().BoolVar(&admin, "admin", false, "make the user a super admin")

	passwd := &cobra.Command{
		Use:   "passwd LOGIN",
		Short: "Set a user's password (ends all their sessions); read like for add",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := readPassword(cmd)
			if err != nil {
				return err
			}
			return withApp(cmd, func(a *app.App) error {
				if err := a.Accounts.SetPassword(cmd.Context(), args[0], password); err != nil {
					return cliError(err, args[0])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed\n", args[0])
				return nil
			})
		},
	}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(cmd, func(a *app.App) error {
				users, _, err := a.Accounts.Users(cmd.Context(), store.UserFilter{})
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tLOGIN\tNAME\tSUPER\tDISABLED")
				for _, u := range users {
					fmt.Fprintf(w, "%d\t%s\t%s\t%t\t%t\n", u.ID, u.Login, u.Name, u.IsSuper, u.Disabled)
				}
				return w.Flush()
			})
		},
	}
	disable := &cobra.Command{
		Use:   "disable LOGIN",
		Short: "Disable a user and end all their sessions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, func(a *app.App) error {
				if err := a.Accounts.Disable(cmd.Context(), args[0]); err != nil {
					return cliError(err, args[0])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "disabled %s\n", args[0])
				return nil
			})
		},
	}
	user.AddCommand(add, passwd, listCmd, disable)
	return user
}

func unlockCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unlock LOGIN",
		Short: "Clear a login's failures and lock (or \"address:IP\" for a dev_key block)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, func(a *app.App) error {
				if a.Detached {
					fmt.Fprintln(cmd.OutOrStdout(), "no server is running: its counters ended with it, nothing to unlock")
					return nil
				}
				if err := a.Lockout.Unlock(cmd.Context(), args[0], "cli"); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "unlocked %s\n", args[0])
				return nil
			})
		},
	}
}

func devkeyCommand() *cobra.Command {
	devkey := &cobra.Command{Use: "devkey", Short: "Create, list and revoke dev_keys"}
	var label string
	create := &cobra.Command{
		Use:   "create LOGIN",
		Short: "Create a dev_key for a user and print it (shown once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, func(a *app.App) error {
				u, err := a.Accounts.UserByLogin(cmd.Context(), args[0])
				if err != nil {
					return cliError(err, args[0])
				}
				k, err := a.Accounts.CreateDevKey(cmd.Context(), u.ID, label)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), k.Key)
				return nil
			})
		},
	}
	create.Flags().StringVar(&label, "label", "", "what the key is for")
	listCmd := &cobra.Command{
		Use:   "list LOGIN",
		Short: "List a user's dev_keys (never the keys themselves)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withApp(cmd, func(a *app.App) error {
				u, err := a.Accounts.UserByLogin(cmd.Context(), args[0])
				if err != nil {
					return cliError(err, args[0])
				}
				keys, err := a.Accounts.DevKeys(cmd.Context(), u.ID)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tPREFIX\tLABEL\tCREATED\tLAST USED")
				for _, k := range keys {
					used := "never"
					if k.LastUsedAt != nil {
						used = k.LastUsedAt.UTC().Format("2006-01-02T15:04:05Z")
					}
					fmt.Fprintf(w, "%d\t%s…\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Label, k.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), used)
				}
				return w.Flush()
			})
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a dev_key by its id; it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("ID must be a number, got %q", args[0])
			}
			return withApp(cmd, func(a *app.App) error {
				if err := a.Accounts.RevokeDevKey(cmd.Context(), id); err != nil {
					return cliError(err, "dev_key "+args[0])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked dev_key %d\n", id)
				return nil
			})
		},
	}
	devkey.AddCommand(create, listCmd, revoke)
	return devkey
}

// cliError turns store sentinels into sentences about what.
func cliError(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%s: not found", what)
	case errors.Is(err, store.ErrAlreadyExists):
		return fmt.Errorf("%s: already exists", what)
	case errors.Is(err, store.ErrLastSuperAdmin):
		return fmt.Errorf("%s: the last enabled super admin cannot be disabled", what)
	}
	return err
}

// readPassword prompts twice without echo on a terminal, else reads the
// first line of stdin.
func readPassword(cmd *cobra.Command) (string, error) {
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return promptPassword(cmd, int(f.Fd()))
	}
	line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", errors.New("no password on stdin")
	}
	return password, nil
}

func promptPassword(cmd *cobra.Command, fd int) (string, error) {
	ask := func(prompt string) (string, error) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	first, err := ask("Password: ")
	if err != nil {
		return "", err
	}
	second, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the passwords differ")
	}
	return first, nil
}
