package service

import (
	"strconv"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
)

// Partition returns the AWS partition of a region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	}
	return "aws"
}

func arnPrefix(sc appconfig.Scope) string {
	return "arn:" + Partition(sc.Region) + ":appconfig:" + sc.Region + ":" + sc.Account + ":"
}

// ApplicationARN and friends build the ARNs of docs/aws-behavior.md §1.
func ApplicationARN(sc appconfig.Scope, app string) string {
	return arnPrefix(sc) + "application/" + app
}

func EnvironmentARN(sc appconfig.Scope, app, env string) string {
	return ApplicationARN(sc, app) + "/environment/" + env
}

func ProfileARN(sc appconfig.Scope, app, prof string) string {
	return ApplicationARN(sc, app) + "/configurationprofile/" + prof
}

func HostedVersionARN(sc appconfig.Scope, app, prof string, version int) string {
	return ProfileARN(sc, app, prof) + "/hostedconfigurationversion/" + strconv.Itoa(version)
}

func StrategyARN(sc appconfig.Scope, id string) string {
	return arnPrefix(sc) + "deploymentstrategy/" + id
}

func DeploymentARN(sc appconfig.Scope, app, env string, number int) string {
	return EnvironmentARN(sc, app, env) + "/deployment/" + strconv.Itoa(number)
}

func ExtensionARN(sc appconfig.Scope, id string, version int) string {
	return arnPrefix(sc) + "extension/" + id + "/" + strconv.Itoa(version)
}

// ExperimentDefinitionARN is an experiment definition's ARN
// (appconfig-behavior.md §2.2).
func ExperimentDefinitionARN(sc appconfig.Scope, app, def string) string {
	return ApplicationARN(sc, app) + "/experimentdefinition/" + def
}

// ExperimentRunARN is an experiment run's ARN.
func ExperimentRunARN(sc appconfig.Scope, app, def string, run int) string {
	return ExperimentDefinitionARN(sc, app, def) + "/experimentrun/" + strconv.Itoa(run)
}

// AWSExtensionARN is the ARN of an AWS-authored extension: its account
// field is empty.
func AWSExtensionARN(region, id string, version int) string {
	return "arn:" + Partition(region) + ":appconfig:" + region + "::extension/" + id + "/" + strconv.Itoa(version)
}

func AssociationARN(sc appconfig.Scope, id string) string {
	return arnPrefix(sc) + "extensionassociation/" + id
}

// ARNResource is a parsed AppConfig ARN.
type ARNResource struct {
	Partition, Region, Account string
	Type                       string // application, environment, configurationprofile, deployment, deploymentstrategy, extension, extensionassociation, hostedconfigurationversion, experimentdefinition, experimentrun
	Application                string
	Environment                string
	Profile                    string
	Number                     int    // deployment, hosted version or experiment run number
	ID                         string // strategy, extension, association or experiment definition id
	Version                    int    // extension version
}

// ParseARN parses an AppConfig ARN; ok is false for anything else.
func ParseARN(arn string) (ARNResource, bool) {
	var r ARNResource
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "appconfig" {
		return r, false
	}
	r.Partition, r.Region, r.Account = parts[1], parts[3], parts[4]
	segs := strings.Split(parts[5], "/")
	num := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n > 0 && strconv.Itoa(n) == s
	}
	switch {
	case len(segs) == 2 && segs[0] == "application":
		r.Type, r.Application = "application", segs[1]
	case len(segs) == 4 && segs[0] == "application" && segs[2] == "environment":
		r.Type, r.Application, r.Environment = "environment", segs[1], segs[3]
	case len(segs) == 4 && segs[0] == "application" && segs[2] == "configurationprofile":
		r.Type, r.Application, r.Profile = "configurationprofile", segs[1], segs[3]
	case len(segs) == 6 && segs[0] == "application" && segs[2] == "environment" && segs[4] == "deployment":
		n, ok := num(segs[5])
		if !ok {
			return r, false
		}
		r.Type, r.Application, r.Environment, r.Number = "deployment", segs[1], segs[3], n
	case len(segs) == 6 && segs[0] == "application" && segs[2] == "configurationprofile" && segs[4] == "hostedconfigurationversion":
		n, ok := num(segs[5])
		if !ok {
			return r, false
		}
		r.Type, r.Application, r.Profile, r.Number = "hostedconfigurationversion", segs[1], segs[3], n
	case len(segs) == 4 && segs[0] == "application" && segs[2] == "experimentdefinition":
		r.Type, r.Application, r.ID = "experimentdefinition", segs[1], segs[3]
	case len(segs) == 6 && segs[0] == "application" && segs[2] == "experimentdefinition" && segs[4] == "experimentrun":
		n, ok := num(segs[5])
		if !ok {
			return r, false
		}
		r.Type, r.Application, r.ID, r.Number = "experimentrun", segs[1], segs[3], n
	case len(segs) == 2 && segs[0] == "deploymentstrategy":
		r.Type, r.ID = "deploymentstrategy", segs[1]
	case (len(segs) == 2 || len(segs) == 3) && segs[0] == "extension":
		r.Type, r.ID = "extension", segs[1]
		if len(segs) == 3 {
			n, ok := num(segs[2])
			if !ok {
				return r, false
			}
			r.Version = n
		}
	case len(segs) == 2 && segs[0] == "extensionassociation":
		r.Type, r.ID = "extensionassociation", segs[1]
	default:
		return r, false
	}
	for _, s := range segs {
		if s == "" {
			return r, false
		}
	}
	return r, true
}
