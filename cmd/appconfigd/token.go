package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/appconfigd/appconfigd/internal/apitoken"
	"github.com/appconfigd/appconfigd/internal/server"
)

const tokenUsage = `Usage:
  appconfigd token create --account ID [--region R] [--application APP_ID] [--description TEXT] [store flags]
  appconfigd token list [store flags]
  appconfigd token revoke TOKEN_ID [store flags]

Read-only bearer tokens for the flag path under --auth sigv4: the AppConfig
Agent route (GET /applications/A/environments/E/configurations/C), OFREP
and change streams, scoped to an account and region and optionally one
application. Send one as "Authorization: Bearer <token>". The token is
printed once by create; the store keeps only its SHA-256. Run these against
the store the server uses (--data-dir or --store, or APPCONFIGD_DATA_DIR /
APPCONFIGD_STORE); they work while the server runs.

Store flags:
`

// tokenCmd issues, lists and revokes bearer tokens.
func tokenCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		fmt.Fprint(stderr, tokenUsage)
		return 2
	}
	sub := args[0]
	def := server.Defaults()
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", def.DataDir, "`directory` of the embedded store")
	store := fs.String("store", "", "store `URL` (sqlite://PATH or postgres://DSN)")
	account := fs.String("account", "", "12-digit `account` id the token reads (create)")
	region := fs.String("region", def.Region, "`region` the token reads (create)")
	app := fs.String("application", "", "application `id` the token is limited to (create; default: the whole account)")
	desc := fs.String("description", "", "free `text` shown by list (create)")
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage); fs.PrintDefaults() }
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		rest = append(rest[1:], rest[0]) // revoke ID [flags]
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := envFlags(fs); err != nil {
		fmt.Fprintln(stderr, "appconfigd:", err)
		return 2
	}
	ctx := context.Background()
	st, err := server.OpenStore(ctx, server.Config{DataDir: *dataDir, Store: *store})
	if err != nil {
		fmt.Fprintln(stderr, "appconfigd token:", err)
		return 1
	}
	defer st.Close()
	switch sub {
	case "create":
		tok, secret, err := apitoken.Create(ctx, st, apitoken.Token{Account: *account, Region: *region, Application: *app, Description: *desc}, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "appconfigd token create:", err)
			return 1
		}
		fmt.Fprintf(stderr, "token %s created; it is shown once, store it now\n", tok.ID)
		fmt.Fprintln(stdout, secret)
	case "list":
		toks, err := apitoken.List(ctx, st)
		if err != nil {
			fmt.Fprintln(stderr, "appconfigd token list:", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tACCOUNT\tREGION\tAPPLICATION\tCREATED\tDESCRIPTION")
		for _, t := range toks {
			a := t.Application
			if a == "" {
				a = "*"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Account, t.Region, a, t.Created.Format(time.RFC3339), t.Description)
		}
		tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "appconfigd token revoke: give the token id (see token list)")
			return 2
		}
		if err := apitoken.Revoke(ctx, st, fs.Arg(0)); err != nil {
			fmt.Fprintln(stderr, "appconfigd token revoke:", err)
			return 1
		}
		fmt.Fprintf(stderr, "token %s revoked\n", fs.Arg(0))
	}
	return 0
}
