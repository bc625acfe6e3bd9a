package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// The statements appconfigd's PostgreSQL store sends for CreateApplication
// (internal/store/postgres: cappedCreateSQL, the quota count, insert and
// notification in one statement, after the advisory lock) and for a point
// read, copied here because the tool does not link the server's packages.
const (
	explainCapped = `WITH c AS (SELECT COUNT(*) AS n FROM records WHERE account = $12 AND region = $13 AND kind = $14 AND parent = $15),
ins AS (INSERT INTO records (account, region, kind, parent, id, name, body, data, due_at)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM c WHERE c.n < $10
	ON CONFLICT DO NOTHING RETURNING seq),
notes AS (SELECT pg_notify('appconfigd', t) FROM ins, unnest($11::text[]) AS t)
SELECT c.n, ins.seq, (SELECT COUNT(*) FROM notes) FROM c LEFT JOIN ins ON true`
	explainGet = "SELECT seq, account, region, kind, parent, id, name, body, due_at, data FROM records WHERE account = $1 AND region = $2 AND kind = $3 AND parent = $4 AND id = $5"
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
		{"the capped insert (quota COUNT, INSERT, notification)", explainCapped, []any{account, region, "application", "", "explain01", "bench-explain",
			[]byte(`{"Id":"explain01","Name":"bench-explain"}`), nil, nil, 100, []string{"explain:names"}, account, region, "application", ""}},
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
