package deploy

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// LogTransition writes one log line per event a transition added to d
// (the last added events of its log), so that the server log tells each
// deployment's life: started (application, environment, profile,
// version, strategy), each step's percentage, baking, complete, and
// rolled back or reverted with the reason. It is the one place deployment
// lifecycle logs are written; call it where a transition has been
// persisted.
func LogTransition(log *slog.Logger, sc appconfig.Scope, d *appconfig.Deployment, added int) {
	if log == nil || added <= 0 {
		return
	}
	base := []slog.Attr{
		slog.String("account", sc.Account), slog.String("region", sc.Region),
		slog.String("application", d.ApplicationID), slog.String("environment", d.EnvironmentID),
		slog.Int("deployment", d.DeploymentNumber),
	}
	for i := max(len(d.EventLog)-added, 0); i < len(d.EventLog); i++ {
		ev := d.EventLog[i]
		level, msg := slog.LevelInfo, ""
		if !log.Enabled(context.Background(), eventLevel(ev.EventType)) {
			continue // the attributes are not built for a line not written
		}
		attrs := append([]slog.Attr(nil), base...)
		switch ev.EventType {
		case appconfig.EventDeploymentStarted:
			msg = "deployment started"
			attrs = append(attrs, slog.String("profile", d.ConfigurationName), slog.String("profileId", d.ConfigurationProfileID),
				slog.String("version", d.ConfigurationVersion), slog.String("strategy", d.DeploymentStrategyID),
				slog.String("plan", planText(d)))
		case appconfig.EventPercentageUpdated:
			msg = "deployment step"
			pct := d.PercentageComplete
			if ev.Percentage != nil {
				pct = *ev.Percentage
			}
			attrs = append(attrs, slog.String("percentage", strconv.FormatFloat(pct, 'f', 2, 64)))
		case appconfig.EventBakeTimeStarted:
			msg = "deployment baking"
			attrs = append(attrs, slog.Duration("bake", time.Duration(d.FinalBakeTimeInMinutes)*time.Minute))
		case appconfig.EventDeploymentCompleted:
			msg = "deployment complete"
			attrs = append(attrs, slog.String("version", d.ConfigurationVersion))
		case appconfig.EventRollbackStarted:
			level, msg = slog.LevelWarn, "deployment rolling back"
			attrs = append(attrs, slog.String("triggeredBy", ev.TriggeredBy), slog.String("reason", ev.Description))
		case appconfig.EventRollbackCompleted:
			level, msg = slog.LevelWarn, "deployment rolled back"
			by, reason := rollbackReason(d)
			attrs = append(attrs, slog.String("triggeredBy", by), slog.String("reason", reason), slog.String("servedVersion", d.PreviousVersion))
		case appconfig.EventRevertCompleted:
			level, msg = slog.LevelWarn, "deployment reverted"
			attrs = append(attrs, slog.String("triggeredBy", ev.TriggeredBy), slog.String("reason", ev.Description), slog.String("servedVersion", d.PreviousVersion))
		default:
			msg = "deployment event"
			attrs = append(attrs, slog.String("event", ev.EventType), slog.String("description", ev.Description))
		}
		log.LogAttrs(context.Background(), level, msg, attrs...)
	}
}

// eventLevel is the level LogTransition writes an event's line at.
func eventLevel(eventType string) slog.Level {
	switch eventType {
	case appconfig.EventRollbackStarted, appconfig.EventRollbackCompleted, appconfig.EventRevertCompleted:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// planText is the strategy as it applies to d, e.g. "LINEAR 25% over 4m, bake 10m".
func planText(d *appconfig.Deployment) string {
	return d.GrowthType + " " + strconv.FormatFloat(d.GrowthFactor, 'f', -1, 64) + "% over " +
		(time.Duration(d.DeploymentDurationInMinutes) * time.Minute).String() + ", bake " +
		(time.Duration(d.FinalBakeTimeInMinutes) * time.Minute).String()
}

// rollbackReason is what started d's rollback.
func rollbackReason(d *appconfig.Deployment) (by, reason string) {
	for i := len(d.EventLog) - 1; i >= 0; i-- {
		if ev := d.EventLog[i]; ev.EventType == appconfig.EventRollbackStarted {
			return ev.TriggeredBy, ev.Description
		}
	}
	return "", ""
}
