package postgres

import (
	"strings"
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
// payload stays under PostgreSQL's 8000 bytes.

// groupSettingsSQL sets, for the group's transaction, the generic plan
// of its prepared statements and the lock timeout $1.
const groupSettingsSQL = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('lock_timeout', $1, true)"

// groupLockSQL takes the advisory locks of $1 in array order (sorted by
// the caller, so that two groups never wait for each other in a cycle).
const groupLockSQL = "SELECT pg_advisory_xact_lock(hashtextextended(l, 0)) FROM unnest($1::text[]) AS l"

// groupInsertSQL is one wave: $1-$9 the records' columns, $10 the
// limits, $11-$15 the count queries (qname ” for none), one array
// element per member; $16 the notification prefix (origin and ':'), $17
// the topics and $18 the (1-based) member each belongs to. It answers one
// row per member in order: its count, and its seq when it was inserted
// (NULL otherwise); the last column forces the notification (a CTE that
// is not referenced does not run).
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
), notes AS (
	SELECT pg_notify('` + Channel + `', $16 || string_agg(DISTINCT t.topic, E'\n'))
	FROM unnest($17::text[], $18::int8[]) AS t(topic, ord) JOIN done ON done.ord = t.ord AND done.seq IS NOT NULL
	HAVING COUNT(*) > 0
)
SELECT done.ord, done.n, done.seq, (SELECT COUNT(*) FROM notes) FROM done ORDER BY done.ord`

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
		rs := scopeOf(m.r.Account, m.r.Region, m.r.Kind, m.r.Parent)
		qs := scopeOf(m.q.Account, m.q.Region, m.q.Kind, m.q.Parent)
		if i > start && (written[rs] || written[qs] || topicBytes+n > maxWaveTopicBytes) {
			out = append(out, members[start:i])
			start, topicBytes = i, 0
			clear(written)
		}
		written[rs] = true
		topicBytes += n
	}
	if start < len(members) {
		out = append(out, members[start:])
	}
	return out
}

// waveArgs are groupInsertSQL's arguments for the members of one wave.
func (d dialect) waveArgs(w []*capReq) []any {
	n := len(w)
	cols := make([][]string, 11) // account … name, then qaccount … qname
	for i := range cols {
		cols[i] = make([]string, n)
	}
	bodies, data := make([][]byte, n), make([][]byte, n)
	due, limits := make([]*int64, n), make([]int64, n)
	var topics []string
	var owners []int64
	for i, m := range w {
		r, q := m.r, m.q
		for c, v := range [...]string{r.Account, r.Region, r.Kind, r.Parent, r.ID, r.Name, q.Account, q.Region, q.Kind, q.Parent, q.Name} {
			cols[c][i] = v
		}
		bodies[i], data[i], limits[i] = r.Body, r.Data, int64(m.limit)
		if !r.DueAt.IsZero() {
			ns := r.DueAt.UnixNano()
			due[i] = &ns
		}
		for _, t := range m.topics {
			topics = append(topics, t)
			owners = append(owners, int64(i+1))
		}
	}
	return []any{cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], bodies, data, due,
		limits, cols[6], cols[7], cols[8], cols[9], cols[10],
		d.origin + ":", topics, owners}
}

// splitTopics reads the topics of a notification's payload (after the
// origin and ':').
func splitTopics(s string) []string {
	return strings.Split(s, topicSep)
}
