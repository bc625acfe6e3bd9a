package wire

// Allow spends one request of an account's rate limit (true when no limit
// is set), for handlers served in front of this one (OFREP, change
// streams), so they share the account's budget with the AWS APIs.
func (h *Handler) Allow(account string) bool {
	return h.limiter == nil || h.limiter.allow(account)
}
