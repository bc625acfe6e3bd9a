package postgres

import (
	"slices"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
)

// A group of CreateCapped calls (group.go) costs the database four
// statements whatever its size: BEGIN, one statement that takes every
// member's advisory lock, one statement that counts, inserts and
// notifies for all the members (a "wave"), COMMIT. One statement per
// member cost an executor start-up and an index probe per member each
// for the lock and for the capped insert; the per-statement overhead was
// about half of the database's CPU per CreateApplication.
//
// One statement has one snapshot: a member does not see what another
// member of the same statement inserts. So members whose records could
// change each other's count (same account, region, kind and parent), or
// that share a key, go in successive waves: the statements run in order
// in the transaction, and each sees the earlier waves' inserts, as the
// caps require.
//
// Each wave sends one notification for all its inserted members: the
// payload is the origin, ':', then the distinct topics joined by '\n'
// (listener.handle splits them). A wave's topics are bounded so that the
// payload stays under PostgreSQL's 8000 bytes. Other transactions pack
// their topics the same way at COMMIT (payloads).

// groupSettingsSQL sets, for the group's transaction, the generic plan
// of its prepared statements and the lock timeout $1.
const groupSettingsSQL = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('lock_timeout', $1, true)"

// groupLockSQL takes the advisory locks of $1 in array order (sorted by
// the caller, so that two groups never wait for each other in a cycle).
const groupLockSQL = "SELECT pg_advisory_xact_lock(hashtextextended(l, 0)) FROM unnest($1::text[]) AS l"

// groupInsertSQL is one wave: $1-$9 the records' columns, $10 the
// limits, $11-$15 the count queries (qname empty for none), one array
// element per member; $16 the notification prefix (origin and ':'), $17
// the topics and $18 the (1-based) member each belongs to; $19-$27 the
// columns of the members' other records (CreateCapped's with, inserted
// only with their member's record; a duplicate key fails the statement)
// and $28 their members. It answers one row per member in order: its
// count, and its seq when it was inserted (NULL otherwise); the last
// column forces the notification (a CTE that is not referenced does not
// run; one that writes always runs).
const groupInsertSQL = `WITH m AS (
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
	SELECT pg_notify('` + Channel + `', $16 || string_agg(DISTINCT t.topic, E'\n'))
	FROM unnest($17::text[], $18::int8[]) AS t(topic, ord) JOIN done ON done.ord = t.ord AND done.seq IS NOT NULL
	HAVING COUNT(*) > 0
)
SELECT done.ord, done.n, done.seq, (SELECT COUNT(*) FROM notes) FROM done ORDER BY done.ord`

// GroupInsertSQL is the statement of one wave, as sent (for
// bench/controlplane -explain, which explains it on a benchmark's
// database).
const GroupInsertSQL = groupInsertSQL

// maxWaveTopicBytes bounds a wave's topics (with separators) so that
// its notification stays under PostgreSQL's 8000-byte payload limit.
const maxWaveTopicBytes = 7000

// topicSep separates the topics of one notification; no topic contains
// it (their fields are IDs, account numbers and region names).
const topicSep = "\n"

// scopeOf is the account, region, kind and parent of a record or query:
// the records a count query may count.
func scopeOf(account, region, kind, parent string) string {
	return account + "\x00" + region + "\x00" + kind + "\x00" + parent
}

// waves splits members, in order, into the statements of a group: a
// member starts a new wave when an earlier member of the current one
// could change its count or shares its key, or when the wave's topics
// would not fit one notification.
func waves(members []*capReq) [][]*capReq {
	var out [][]*capReq
	start, topicBytes := 0, 0
	written := map[string]bool{} // the current wave's records' scopes
	for i, m := range members {
		n := 0
		for _, t := range m.topics {
			n += len(t) + len(topicSep)
		}
		scopes := []string{scopeOf(m.q.Account, m.q.Region, m.q.Kind, m.q.Parent), scopeOf(m.r.Account, m.r.Region, m.r.Kind, m.r.Parent)}
		for _, w := range m.with {
			scopes = append(scopes, scopeOf(w.Account, w.Region, w.Kind, w.Parent))
		}
		if i > start && (slices.ContainsFunc(scopes, func(s string) bool { return written[s] }) || topicBytes+n > maxWaveTopicBytes) {
			out = append(out, members[start:i])
			start, topicBytes = i, 0
			clear(written)
		}
		for _, s := range scopes[1:] {
			written[s] = true
		}
		topicBytes += n
	}
	if start < len(members) {
		out = append(out, members[start:])
	}
	return out
}

// waveArgs are groupInsertSQL's arguments for the members of one wave.
func (d dialect) waveArgs(w []*capReq) []any {
	var recs, more recordCols
	queries := make([][]string, 5) // qaccount … qname
	limits := make([]int64, len(w))
	var topics []string
	var owners []int64
	for i, m := range w {
		recs.add(m.r, 0)
		for j := range m.with {
			more.add(&m.with[j], int64(i+1))
		}
		for c, v := range [...]string{m.q.Account, m.q.Region, m.q.Kind, m.q.Parent, m.q.Name} {
			queries[c] = append(queries[c], v)
		}
		limits[i] = int64(m.limit)
		for _, t := range m.topics {
			topics = append(topics, t)
			owners = append(owners, int64(i+1))
		}
	}
	args := append(recs.args(), limits)
	for _, q := range queries {
		args = append(args, q)
	}
	args = append(args, d.origin+":", topics, owners)
	return append(append(args, more.args()...), more.owners)
}

// recordCols are records as column arrays (groupInsertSQL's unnest),
// with the (1-based) member each belongs to.
type recordCols struct {
	text       [6][]string // account, region, kind, parent, id, name
	body, data [][]byte
	due        []*int64
	owners     []int64
}

func (c *recordCols) add(r *appconfig.Record, owner int64) {
	for i, v := range [...]string{r.Account, r.Region, r.Kind, r.Parent, r.ID, r.Name} {
		c.text[i] = append(c.text[i], v)
	}
	c.body, c.data = append(c.body, r.Body), append(c.data, r.Data)
	var due *int64
	if !r.DueAt.IsZero() {
		ns := r.DueAt.UnixNano()
		due = &ns
	}
	c.due = append(c.due, due)
	c.owners = append(c.owners, owner)
}

// args are the nine column arrays.
func (c *recordCols) args() []any {
	return []any{c.text[0], c.text[1], c.text[2], c.text[3], c.text[4], c.text[5], c.body, c.data, c.due}
}

// payloads packs topics, in order, into as few notification payloads as
// fit PostgreSQL's limit: the origin, ':', then topics joined by topicSep
// (a topic too long for a shared payload gets one of its own).
func payloads(origin string, topics []string) []string {
	var out []string
	var b strings.Builder
	for _, t := range topics {
		if b.Len() > 0 && b.Len()+len(topicSep)+len(t) > maxWaveTopicBytes {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteString(origin + ":")
		} else {
			b.WriteString(topicSep)
		}
		b.WriteString(t)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// splitTopics reads the topics of a notification's payload (after the
// origin and ':').
func splitTopics(s string) []string {
	return strings.Split(s, topicSep)
}
