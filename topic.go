package appconfig

import (
	"fmt"
	"strconv"
	"strings"
)

// TopicKind says what a change topic announces.
type TopicKind string

// Topic kinds, spelled as the first field of their string form.
const (
	// TopicKindReset: any record may have changed without its own topic
	// (everything was wiped, or topics may have been missed). Caches drop
	// everything; due-work loops look at once.
	TopicKindReset TopicKind = "reset"
	// TopicKindEnvironment: an environment's deployments moved (what its
	// clients are served may have changed), or it was deleted.
	TopicKindEnvironment TopicKind = "env"
	// TopicKindProfile: a configuration profile was deleted.
	TopicKindProfile TopicKind = "prof"
	// TopicKindVersion: a hosted configuration version was deleted.
	TopicKindVersion TopicKind = "hv"
	// TopicKindAssociations: a scope's extension associations changed.
	TopicKindAssociations TopicKind = "assoc"
	// TopicKindOutbox: extension deliveries were queued.
	TopicKindOutbox TopicKind = "extension-outbox"
	// TopicKindNames: an environment or configuration profile of App was
	// created, renamed or deleted, or (App == "") an application was; what
	// resolves names and IDs in memory (the data plane's view) drops them.
	TopicKindNames TopicKind = "names"
	// TopicKindSettings: a scope's account settings changed (what the
	// data plane reads of them, e.g. VendedMetrics, is dropped).
	TopicKindSettings TopicKind = "settings"
)

// TopicReset is the string form of the reset topic (its one name).
const TopicReset = string(TopicKindReset)

// Topic is a change-notification topic: what a committed transaction
// announces (Tx.Notify) to every process sharing the store, which caches
// and due-work loops act on (Store.Subscribe). The store carries it in its
// String form; ParseTopic reads it back.
type Topic struct {
	Kind    TopicKind
	Scope   Scope  // all but reset and outbox
	App     string // environment, profile and version topics
	Env     string // environment topics
	Profile string // profile and version topics
	Version int    // version topics
}

// String is the topic's form on the store: its fields joined by "|".
func (t Topic) String() string {
	s := func(f ...string) string {
		return strings.Join(append([]string{string(t.Kind), t.Scope.Account, t.Scope.Region}, f...), "|")
	}
	switch t.Kind {
	case TopicKindEnvironment:
		return s(t.App, t.Env)
	case TopicKindProfile:
		return s(t.App, t.Profile)
	case TopicKindVersion:
		return s(t.App, t.Profile, strconv.Itoa(t.Version))
	case TopicKindAssociations, TopicKindSettings:
		return s()
	case TopicKindNames:
		return s(t.App)
	}
	return string(t.Kind)
}

// ParseTopic reads a topic's string form. A string that is no topic of
// this version (another version's, or garbage) is an error; subscribers
// ignore it.
func ParseTopic(s string) (Topic, error) {
	p := strings.Split(s, "|")
	t := Topic{Kind: TopicKind(p[0])}
	want := map[TopicKind]int{TopicKindReset: 1, TopicKindOutbox: 1, TopicKindAssociations: 3, TopicKindSettings: 3, TopicKindNames: 4, TopicKindEnvironment: 5, TopicKindProfile: 5, TopicKindVersion: 6}[t.Kind]
	if want == 0 || len(p) != want {
		return Topic{}, fmt.Errorf("not a change topic: %q", s)
	}
	if want >= 3 {
		t.Scope = Scope{Account: p[1], Region: p[2]}
	}
	switch t.Kind {
	case TopicKindNames:
		t.App = p[3]
	case TopicKindEnvironment:
		t.App, t.Env = p[3], p[4]
	case TopicKindProfile:
		t.App, t.Profile = p[3], p[4]
	case TopicKindVersion:
		n, err := strconv.Atoi(p[5])
		if err != nil {
			return Topic{}, fmt.Errorf("not a change topic: %q", s)
		}
		t.App, t.Profile, t.Version = p[3], p[4], n
	}
	return t, nil
}

// EnvironmentTopic is the topic of an environment's deployments.
func EnvironmentTopic(sc Scope, app, env string) string {
	return Topic{Kind: TopicKindEnvironment, Scope: sc, App: app, Env: env}.String()
}

// ProfileTopic is the topic of a configuration profile's removal.
func ProfileTopic(sc Scope, app, prof string) string {
	return Topic{Kind: TopicKindProfile, Scope: sc, App: app, Profile: prof}.String()
}

// VersionTopic is the topic of a hosted configuration version's deletion.
func VersionTopic(sc Scope, app, prof string, number int) string {
	return Topic{Kind: TopicKindVersion, Scope: sc, App: app, Profile: prof, Version: number}.String()
}

// AssociationsTopic is the topic of a scope's extension associations.
func AssociationsTopic(sc Scope) string {
	return Topic{Kind: TopicKindAssociations, Scope: sc}.String()
}

// SettingsTopic is the topic of a scope's account settings.
func SettingsTopic(sc Scope) string {
	return Topic{Kind: TopicKindSettings, Scope: sc}.String()
}

// NamesTopic is the topic of the names under an application (app == "":
// the applications' names).
func NamesTopic(sc Scope, app string) string {
	return Topic{Kind: TopicKindNames, Scope: sc, App: app}.String()
}

// OutboxTopic is the topic of queued extension deliveries.
func OutboxTopic() string { return string(TopicKindOutbox) }
