package service

import (
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/featureflag"
)

// featureFlagsHelper is the name AWS gives the extension that checks
// feature-flag documents; its errors are prefixed with it.
const featureFlagsHelper = "AppConfig Feature Flags Helper"

// CheckFeatureFlags is the AWS.AppConfig.FeatureFlags helper's check: it
// validates a feature-flag document and returns it with the service's
// _createdAt/_updatedAt metadata.
func CheckFeatureFlags(content, previous []byte, now time.Time) ([]byte, error) {
	problems := featureflag.Validate(content)
	if len(problems) > 0 {
		details := make([]appconfig.InvalidConfiguration, 0, len(problems))
		malformed := false
		for _, p := range problems {
			if p.Type == featureflag.TypeSyntax {
				malformed = true
			}
			details = append(details, appconfig.InvalidConfiguration{Constraint: p.Constraint, Location: p.Location, Reason: p.Reason, Type: p.Type, Value: p.Value})
		}
		msg := "Error invoking extension " + featureFlagsHelper + ": Invalid feature flag configuration: " + problems[0].Reason
		if malformed {
			msg = "Error invoking extension " + featureFlagsHelper + ": Malformed 'Content' provided"
		}
		return nil, appconfig.InvalidConfigurationError(msg, details)
	}
	stamped, err := featureflag.Stamp(content, previous, now)
	if err != nil {
		return nil, appconfig.InvalidConfigurationError("Error invoking extension "+featureFlagsHelper+": "+err.Error(), nil)
	}
	return stamped, nil
}
