package appconfig

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ARNs of the AWS resources appconfigd calls: extension action targets
// (Lambda functions, SQS queues, SNS topics, EventBridge buses) and
// CloudWatch alarms of environment monitors. One parser serves
// the service (CheckActionURI), the extension invoker and the alarm
// checker, so an ARN accepted at CreateExtension cannot be rejected at
// invocation time.

// ARNKind is the kind of resource an ARN must name; its value is the ARN's
// service field.
type ARNKind string

const (
	ARNLambda     ARNKind = "lambda"
	ARNSQS        ARNKind = "sqs"
	ARNSNS        ARNKind = "sns"
	ARNEventBus   ARNKind = "events"
	ARNCloudWatch ARNKind = "cloudwatch"
)

// actionKinds are the kinds an extension action URI may name.
var actionKinds = []ARNKind{ARNLambda, ARNSQS, ARNSNS, ARNEventBus}

var arnKinds = map[ARNKind]struct{ what, form string }{
	ARNLambda:     {"Lambda function", "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]"},
	ARNSQS:        {"SQS queue", "arn:aws:sqs:REGION:ACCOUNT:NAME"},
	ARNSNS:        {"SNS topic", "arn:aws:sns:REGION:ACCOUNT:NAME"},
	ARNEventBus:   {"EventBridge event bus", "arn:aws:events:REGION:ACCOUNT:event-bus/NAME"},
	ARNCloudWatch: {"CloudWatch alarm", "arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME"},
}

// What is the kind's description, e.g. "Lambda function".
func (k ARNKind) What() string {
	if d, ok := arnKinds[k]; ok {
		return d.what
	}
	return "AWS resource"
}

// Form is the kind's ARN template, e.g. "arn:aws:sqs:REGION:ACCOUNT:NAME".
func (k ARNKind) Form() string {
	if d, ok := arnKinds[k]; ok {
		return d.form
	}
	return "a Lambda function, SQS queue, SNS topic or EventBridge event bus ARN"
}

// TargetARN is a parsed ARN.
type TargetARN struct {
	Kind                       ARNKind
	Partition, Region, Account string
	Name                       string // function, queue, topic, bus or alarm name
	Qualifier                  string // Lambda version or alias
}

// ARNError says why an ARN was refused.
type ARNError struct {
	ARN    string
	Kind   ARNKind // the kind wanted ("" from ParseActionARN: none matched)
	Reason string
}

func (e *ARNError) Error() string {
	if e.Kind == "" {
		return fmt.Sprintf("invalid ARN %q: %s (want %s)", e.ARN, e.Reason, e.Kind.Form())
	}
	return fmt.Sprintf("invalid %s ARN %q: %s (want %s)", e.Kind.What(), e.ARN, e.Reason, e.Kind.Form())
}

var (
	arnPartitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	arnRegionRE    = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)
	arnAccountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	arnFunctionRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	arnQualifierRE = regexp.MustCompile(`^(\$LATEST|[A-Za-z0-9_-]{1,128})$`)
	arnQueueRE     = regexp.MustCompile(`^([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$`)
	arnTopicRE     = regexp.MustCompile(`^([A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)$`)
	arnBusRE       = regexp.MustCompile(`^[A-Za-z0-9/._-]{1,256}$`)
)

// ParseActionARN parses the ARN of an extension action target: a Lambda
// function, SQS queue, SNS topic or EventBridge event bus, by its service
// field.
func ParseActionARN(s string) (TargetARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		for _, k := range actionKinds {
			if parts[2] == string(k) {
				return ParseTargetARN(s, k)
			}
		}
		return TargetARN{}, &ARNError{ARN: s, Reason: fmt.Sprintf("service %q is not lambda, sqs, sns or events", parts[2])}
	}
	return TargetARN{}, &ARNError{ARN: s, Reason: "not an ARN"}
}

// ParseTargetARN checks that s is an ARN of the given kind and splits it.
// Errors are *ARNError.
func ParseTargetARN(s string, kind ARNKind) (TargetARN, error) {
	bad := func(why string, args ...any) (TargetARN, error) {
		return TargetARN{}, &ARNError{ARN: s, Kind: kind, Reason: fmt.Sprintf(why, args...)}
	}
	if _, ok := arnKinds[kind]; !ok {
		return bad("unknown ARN kind %q", kind)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return bad("not an ARN")
	}
	t := TargetARN{Kind: kind, Partition: parts[1], Region: parts[3], Account: parts[4]}
	service, resource := parts[2], parts[5]
	switch {
	case !arnPartitionRE.MatchString(t.Partition):
		return bad("bad partition %q", t.Partition)
	case service != string(kind):
		return bad("service is %q, not %q", service, kind)
	case t.Region == "":
		return bad("missing region")
	case !arnRegionRE.MatchString(t.Region):
		return bad("bad region %q", t.Region)
	case t.Account == "":
		return bad("missing account")
	case !arnAccountRE.MatchString(t.Account):
		return bad("account %q is not 12 digits", t.Account)
	case resource == "":
		return bad("missing %s name", strings.ToLower(kind.What()))
	}
	switch kind {
	case ARNLambda:
		rest, ok := strings.CutPrefix(resource, "function:")
		if !ok {
			return bad("resource %q is not function:NAME", resource)
		}
		name, qual, hasQual := strings.Cut(rest, ":")
		switch {
		case name == "":
			return bad("missing function name")
		case !arnFunctionRE.MatchString(name):
			return bad("bad function name %q", name)
		case hasQual && !arnQualifierRE.MatchString(qual):
			return bad("bad qualifier %q", qual)
		}
		t.Name, t.Qualifier = name, qual
	case ARNSQS:
		if !arnQueueRE.MatchString(resource) {
			return bad("bad queue name %q", resource)
		}
		t.Name = resource
	case ARNSNS:
		if !arnTopicRE.MatchString(resource) {
			return bad("bad topic name %q", resource)
		}
		t.Name = resource
	case ARNEventBus:
		name, ok := strings.CutPrefix(resource, "event-bus/")
		switch {
		case !ok:
			return bad("resource %q is not event-bus/NAME", resource)
		case name == "":
			return bad("missing event bus name")
		case !arnBusRE.MatchString(name):
			return bad("bad event bus name %q", name)
		}
		t.Name = name
	case ARNCloudWatch:
		// Alarm names are 1-255 characters with no control characters;
		// they may contain colons.
		name, ok := strings.CutPrefix(resource, "alarm:")
		switch {
		case !ok:
			return bad("resource %q is not alarm:NAME", resource)
		case name == "":
			return bad("missing alarm name")
		case utf8.RuneCountInString(name) > 255 || strings.IndexFunc(name, unicode.IsControl) >= 0:
			return bad("bad alarm name %q", name)
		}
		t.Name = name
	}
	return t, nil
}
