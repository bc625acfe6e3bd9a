package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
	"github.com/appconfigd/appconfigd/internal/store/postgres"
)

// The statements appconfigd's PostgreSQL store sends for CreateApplication
// (postgres.GroupInsertSQL: the quota count, insert and notification of a
// group's members in one statement, after the advisory locks) and for a
// point read.
const (
	explainCapped = postgres.GroupInsertSQL
	explainGet    = "SELECT seq, account, region, kind, parent, id, name, body, due_at, data FROM records WHERE account = $1 AND region = $2 AND kind = $3 AND parent = $4 AND id = $5"
)

// explainCreate prints EXPLAIN (ANALYZE, BUFFERS) of CreateApplication's
// statements on the benchmark's database (after the run: the table holds
// every application the run created), each in a transaction rolled back.
func explainCreate(ctx context.Context, w io.Writer, dsn string, o options) {
	account := strconv.Itoa(firstAccount + 42)
	// The application GetHostedConfigurationVersion's setup created.
	appID, err := benchutil.QueryString(ctx, dsn, "SELECT id FROM records WHERE account = $1 AND kind = 'application' AND name = 'bench-hosted'", setupAccount)
	if err != nil {
		appID = "nonexistent"
	}
	region := o.regions[0]
	fmt.Fprintf(w, "### EXPLAIN (ANALYZE, BUFFERS) of CreateApplication's statements (account %s, %s)\n\n", account, region)
	for _, q := range []struct {
		what, sql string
		args      []any
	}{
		{"the capped insert (quota COUNT, INSERT, notification) of a group of one", explainCapped, []any{
			[]string{account}, []string{region}, []string{"application"}, []string{""}, []string{"explain01"}, []string{"bench-explain"},
			[][]byte{[]byte(`{"Id":"explain01","Name":"bench-explain"}`)}, [][]byte{nil}, []*int64{nil},
			[]int64{100}, []string{account}, []string{region}, []string{"application"}, []string{""}, []string{""},
			"explain:", []string{"names"}, []int64{1},
			[]string{}, []string{}, []string{}, []string{}, []string{}, []string{}, [][]byte{}, [][]byte{}, []*int64{}, []int64{}}},
		{"point Get of an application (a GetHostedConfigurationVersion cache miss does three such reads)", explainGet, []any{setupAccount, "us-east-1", "application", "", appID}},
	} {
		plan, err := benchutil.Explain(ctx, dsn, q.sql, q.args...)
		if err != nil {
			fmt.Fprintf(w, "%s: %v\n\n", q.what, err)
			continue
		}
		fmt.Fprintf(w, "%s:\n\n```\n%s\n```\n\n", q.what, plan)
	}
}
