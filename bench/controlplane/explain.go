package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// The statements appconfigd's PostgreSQL store sends for CreateApplication
// (internal/store/postgres: groupInsertSQL, the quota count, insert and
// notification of a group's members in one statement, after the advisory
// locks) and for a point read, copied here because the tool does not link
// the server's packages.
const (
	explainCapped = `WITH m AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[], $9::int8[],
		$10::int8[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
		WITH ORDINALITY AS m(account, region, kind, parent, id, name, body, data, due_at, lim, qaccount, qregion, qkind, qparent, qname, ord)
), c AS MATERIALIZED (
	SELECT m.*, (SELECT COUNT(*) FROM records r WHERE r.account = m.qaccount AND r.region = m.qregion AND r.kind = m.qkind
		AND r.parent = m.qparent AND (m.qname = '' OR r.name = m.qname)) AS n FROM m
), ins AS (
	INSERT INTO records (account, region, kind, parent, id, name, body, data, due_at)
	SELECT account, region, kind, parent, id, name, body, data, due_at FROM c WHERE n < lim ORDER BY ord
	ON CONFLICT DO NOTHING RETURNING account, region, kind, parent, id, seq
), done AS MATERIALIZED (
	SELECT c.ord, c.n, ins.seq FROM c LEFT JOIN ins ON ins.account = c.account AND ins.region = c.region
		AND ins.kind = c.kind AND ins.parent = c.parent AND ins.id = c.id
), more AS (
	INSERT INTO records (account, region, kind, parent, id, name, body, data, due_at)
	SELECT w.account, w.region, w.kind, w.parent, w.id, w.name, w.body, w.data, w.due_at
	FROM unnest($19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::bytea[], $26::bytea[], $27::int8[], $28::int8[])
		AS w(account, region, kind, parent, id, name, body, data, due_at, ord)
	JOIN done ON done.ord = w.ord AND done.seq IS NOT NULL
), notes AS (
	SELECT pg_notify('appconfigd', $16 || string_agg(DISTINCT t.topic, E'\n'))
	FROM unnest($17::text[], $18::int8[]) AS t(topic, ord) JOIN done ON done.ord = t.ord AND done.seq IS NOT NULL
	HAVING COUNT(*) > 0
)
SELECT done.ord, done.n, done.seq, (SELECT COUNT(*) FROM notes) FROM done ORDER BY done.ord`
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
