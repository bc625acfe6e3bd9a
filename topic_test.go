package appconfig_test

import (
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
)

// Every topic reads back as itself, and the string forms are the ones
// processes of the previous version send and expect (replicas of two
// versions share a PostgreSQL store during a rolling upgrade).
func TestTopicsRoundTrip(t *testing.T) {
	sc := appconfig.Scope{Account: "123456789012", Region: "eu-west-1"}
	for s, want := range map[string]appconfig.Topic{
		"reset":                                 {Kind: appconfig.TopicKindReset},
		"extension-outbox":                      {Kind: appconfig.TopicKindOutbox},
		"assoc|123456789012|eu-west-1":          {Kind: appconfig.TopicKindAssociations, Scope: sc},
		"settings|123456789012|eu-west-1":       {Kind: appconfig.TopicKindSettings, Scope: sc},
		"env|123456789012|eu-west-1|app|env":    {Kind: appconfig.TopicKindEnvironment, Scope: sc, App: "app", Env: "env"},
		"prof|123456789012|eu-west-1|app|prof":  {Kind: appconfig.TopicKindProfile, Scope: sc, App: "app", Profile: "prof"},
		"hv|123456789012|eu-west-1|app|prof|12": {Kind: appconfig.TopicKindVersion, Scope: sc, App: "app", Profile: "prof", Version: 12},
		"names|123456789012|eu-west-1|app":      {Kind: appconfig.TopicKindNames, Scope: sc, App: "app"},
		"names|123456789012|eu-west-1|":         {Kind: appconfig.TopicKindNames, Scope: sc},
	} {
		got, err := appconfig.ParseTopic(s)
		if err != nil || got != want {
			t.Errorf("ParseTopic(%q) = %+v, %v; want %+v", s, got, err, want)
		}
		if want.String() != s {
			t.Errorf("%+v.String() = %q, want %q", want, want.String(), s)
		}
	}
	for _, s := range []string{"", "env|a|b|c", "hv|a|b|c|d|x", "nope", "reset|x", "committed"} {
		if got, err := appconfig.ParseTopic(s); err == nil {
			t.Errorf("ParseTopic(%q) = %+v, want an error", s, got)
		}
	}
	if appconfig.EnvironmentTopic(sc, "app", "env") != "env|123456789012|eu-west-1|app|env" || appconfig.TopicReset != "reset" ||
		appconfig.VersionTopic(sc, "a", "p", 3) != "hv|123456789012|eu-west-1|a|p|3" || appconfig.AssociationsTopic(sc) != "assoc|123456789012|eu-west-1" ||
		appconfig.ProfileTopic(sc, "a", "p") != "prof|123456789012|eu-west-1|a|p" || appconfig.OutboxTopic() != "extension-outbox" {
		t.Error("a constructor's string form changed")
	}
}
