package extension

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/duework"
	"github.com/appconfigd/appconfigd/internal/records"
	"github.com/appconfigd/appconfigd/internal/service"
)

// Config wires the extension system.
type Config struct {
	// Catalog says which extensions apply; the service shares it.
	Catalog *service.Catalog
	Store   appconfig.Store
	Clock   clock.Clock
	Logger  *slog.Logger
	Invoker *Invoker
	// MaxAttempts bounds deliveries of ON_* events (default 12).
	MaxAttempts int
	// Lease bounds how long one process may hold a delivery attempt
	// before another may retry it (default 1 minute).
	Lease time.Duration
	// Poll is the longest the outbox sleeps without looking (default 1s).
	Poll time.Duration
	// Observe, when set, learns each invocation's action point and outcome.
	Observe func(point string, ok bool)
}

// Extensions runs extension actions at every action point.
type Extensions struct {
	cfg  Config
	svc  *service.Catalog
	inv  *Invoker
	work *duework.Worker
}

var _ deploy.Hooks = (*Extensions)(nil)

// New builds the extension system.
func New(cfg Config) *Extensions {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Invoker == nil {
		cfg.Invoker = &Invoker{}
	}
	work := duework.New(duework.Config{Store: cfg.Store, Clock: cfg.Clock, Logger: cfg.Logger, Kind: appconfig.RecordDelivery, Poll: cfg.Poll,
		What: "delivering extension events", Wakes: func(t appconfig.Topic) bool { return t.Kind == appconfig.TopicKindOutbox }})
	return &Extensions{cfg: cfg, svc: cfg.Catalog, inv: cfg.Invoker, work: work}
}

// ServiceHooks are the service's synchronous action points.
func (x *Extensions) ServiceHooks() service.Hooks {
	return service.Hooks{PreCreateHostedVersion: x.preCreate, PreStartDeployment: x.preStart}
}

// validatorPoint labels LAMBDA validator invocations in metrics; it is
// not an action point of the model.
const validatorPoint appconfig.ActionPoint = "VALIDATOR"

func (x *Extensions) observe(point appconfig.ActionPoint, r Result) {
	if x.cfg.Observe != nil {
		x.cfg.Observe(string(point), !r.failed())
	}
}

func invocation(b service.Bound, id string) appconfig.ActionInvocation {
	return appconfig.ActionInvocation{ExtensionIdentifier: b.Extension.ID, ActionName: b.Action.Name, URI: b.Action.URI, RoleArn: b.Action.RoleArn, InvocationID: id}
}

func target(sc appconfig.Scope, b service.Bound, params map[string]string) Target {
	return Target{URI: b.Action.URI, RoleArn: b.Action.RoleArn, ExtensionName: b.Extension.Name, ExtensionID: b.Extension.ID,
		AssociationArn: service.AssociationARN(sc, b.Association.ID), Parameters: params}
}

// refusal is the BadRequest of a synchronous action that failed.
func refusal(b service.Bound, r Result) error {
	return appconfig.InvalidConfigurationError(fmt.Sprintf("Error invoking extension %s: %s", b.Extension.Name, r.Error),
		[]appconfig.InvalidConfiguration{{Constraint: b.Action.Name, Location: b.Action.URI, Reason: r.Error, Type: r.ErrorCode, Value: r.Error}})
}

func (x *Extensions) bound(ctx context.Context, sc appconfig.Scope, point appconfig.ActionPoint, app, env, prof string) ([]service.Bound, error) {
	var out []service.Bound
	err := x.svc.ViewTx(ctx, func(tx appconfig.Tx) error {
		var err error
		out, err = x.svc.BoundActions(ctx, tx, sc, point, app, env, prof)
		return err
	})
	return out, err
}

// preCreate runs PRE_CREATE_HOSTED_CONFIGURATION_VERSION actions in order;
// for feature-flag profiles the AWS.AppConfig.FeatureFlags helper runs
// last (it is associated with them automatically).
func (x *Extensions) preCreate(ctx context.Context, sc appconfig.Scope, app appconfig.Application, prof appconfig.ConfigurationProfile, v *appconfig.HostedConfigurationVersion, previous *appconfig.HostedConfigurationVersion) error {
	bound, err := x.bound(ctx, sc, appconfig.PreCreateHostedConfigurationVersion, app.ID, "", prof.ID)
	if err != nil {
		return err
	}
	for _, b := range bound {
		if b.Action.URI == service.URIFeatureFlags {
			continue // runs below, once
		}
		p := Payload{InvocationID: service.NewID(), Type: appconfig.PreCreateHostedConfigurationVersion.PayloadType(), Parameters: parameters(b.Association.Parameters, nil),
			Application: Ref{ID: app.ID, Name: app.Name}, ConfigurationProfile: Ref{ID: prof.ID, Name: prof.Name},
			ContentType: v.ContentType, ContentVersion: strconv.Itoa(v.VersionNumber), Content: b64(v.Content), Description: v.Description}
		if previous != nil {
			p.PreviousContent = &ContentRef{ContentType: previous.ContentType, ContentVersion: strconv.Itoa(previous.VersionNumber), Content: b64(previous.Content)}
		}
		body, _ := json.Marshal(p)
		r := x.inv.Invoke(ctx, sc, target(sc, b, p.Parameters), appconfig.PreCreateHostedConfigurationVersion, body)
		x.observe(appconfig.PreCreateHostedConfigurationVersion, r)
		if r.failed() {
			return refusal(b, r)
		}
		if r.Content != nil {
			v.Content = r.Content
		}
	}
	if prof.IsFeatureFlags() {
		var prev []byte
		if previous != nil {
			prev = previous.Content
		}
		stamped, err := service.CheckFeatureFlags(v.Content, prev, x.cfg.Clock.Now())
		x.observe(appconfig.PreCreateHostedConfigurationVersion, Result{ErrorCode: map[bool]string{true: "InvalidConfiguration"}[err != nil]})
		if err != nil {
			return err
		}
		v.Content = stamped
	}
	return nil
}

// dynamicFor picks the dynamic parameters addressed to one association:
// keys are "<extension name, ID or ARN, or association ID>#<parameter>".
func dynamicFor(b service.Bound, sc appconfig.Scope, dynamic map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range dynamic {
		left, param, ok := strings.Cut(k, "#")
		if !ok {
			continue
		}
		if left == b.Extension.Name || left == b.Extension.ID || left == b.Association.ID || left == service.ExtensionARNOf(sc, b.Extension) {
			if p, declared := b.Extension.Parameters[param]; declared && p.Dynamic {
				out[param] = v
			}
		}
	}
	return out
}

// preStart runs PRE_START_DEPLOYMENT actions in order.
func (x *Extensions) preStart(ctx context.Context, sc appconfig.Scope, pre *service.PreStart) error {
	d := pre.Deployment
	bound, err := x.bound(ctx, sc, appconfig.PreStartDeployment, pre.Application.ID, pre.Environment.ID, pre.Profile.ID)
	if err != nil {
		return err
	}
	if err := x.checkDynamic(ctx, sc, pre); err != nil {
		return err
	}
	for _, b := range bound {
		id := service.NewID()
		params := parameters(b.Association.Parameters, dynamicFor(b, sc, pre.Dynamic))
		p := Payload{InvocationID: id, Type: appconfig.PreStartDeployment.PayloadType(), Parameters: params,
			Application: Ref{ID: pre.Application.ID, Name: pre.Application.Name}, Environment: &Ref{ID: pre.Environment.ID, Name: pre.Environment.Name},
			ConfigurationProfile: Ref{ID: pre.Profile.ID, Name: pre.Profile.Name}, DeploymentNumber: intPtr(d.DeploymentNumber),
			Description: d.Description, ContentType: d.ContentType, ContentVersion: d.ConfigurationVersion, Content: b64(pre.Content)}
		body, _ := json.Marshal(p)
		r := x.inv.Invoke(ctx, sc, target(sc, b, params), appconfig.PreStartDeployment, body)
		x.observe(appconfig.PreStartDeployment, r)
		inv := invocation(b, id)
		if r.failed() {
			return refusal(b, r)
		}
		pre.Invocations = append(pre.Invocations, inv)
		if r.Content != nil {
			pre.Content = r.Content
		}
	}
	return nil
}

// checkDynamic refuses dynamic parameters that no extension in force
// for the deployment declares as dynamic.
func (x *Extensions) checkDynamic(ctx context.Context, sc appconfig.Scope, pre *service.PreStart) error {
	if len(pre.Dynamic) == 0 {
		return nil
	}
	var bounds []service.Bound
	err := x.svc.ViewTx(ctx, func(tx appconfig.Tx) error {
		for _, info := range appconfig.ActionPoints() {
			if info.Point == appconfig.PreCreateHostedConfigurationVersion {
				continue // not a deployment's
			}
			bs, err := x.svc.BoundActions(ctx, tx, sc, info.Point, pre.Application.ID, pre.Environment.ID, pre.Profile.ID)
			if err != nil {
				return err
			}
			bounds = append(bounds, bs...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k := range pre.Dynamic {
		used := false
		for _, b := range bounds {
			if _, ok := dynamicFor(b, sc, map[string]string{k: "x"})[strings.SplitN(k, "#", 2)[1]]; ok {
				used = true
				break
			}
		}
		if !used {
			return appconfig.BadRequest("Dynamic extension parameter %q does not name a dynamic parameter of an extension associated with this application, environment or configuration profile.", k)
		}
	}
	return nil
}

// OnEvent implements deploy.Hooks: it records one ActionInvocation per
// action at the event's point and queues its delivery in the same
// transaction, so no event is lost whatever happens next.
func (x *Extensions) OnEvent(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d *appconfig.Deployment, ev *appconfig.DeploymentEvent, point appconfig.ActionPoint) error {
	bound, err := x.svc.BoundActions(ctx, tx, sc, point, d.ApplicationID, d.EnvironmentID, d.ConfigurationProfileID)
	if err != nil || len(bound) == 0 {
		return err
	}
	app, env, prof, err := x.names(ctx, tx, sc, d)
	if err != nil {
		return err
	}
	index := -1
	for i := range d.EventLog {
		if &d.EventLog[i] == ev {
			index = i
		}
	}
	for _, b := range bound {
		id := service.NewID()
		params := parameters(b.Association.Parameters, nil)
		p := Payload{InvocationID: id, Type: point.PayloadType(), Parameters: params, Application: app, Environment: &env, ConfigurationProfile: prof,
			DeploymentNumber: intPtr(d.DeploymentNumber), Description: d.Description, ConfigurationVersion: d.ConfigurationVersion,
			EventType: ev.EventType, TriggeredBy: ev.TriggeredBy}
		if point == appconfig.OnDeploymentStep {
			pct := d.PercentageComplete
			if ev.Percentage != nil {
				pct = *ev.Percentage // its own step's, when several were taken at once
			}
			p.PercentageComplete = percent(pct)
		}
		body, _ := json.Marshal(p)
		ev.ActionInvocations = append(ev.ActionInvocations, invocation(b, id))
		del := records.Delivery{Scope: sc, Target: records.DeliveryTarget(target(sc, b, params)), Point: point, Payload: body,
			Deployment: deploy.RecordKey(sc, *d), Event: index, InvocationID: id}
		rec := appconfig.Record{Key: records.DeliveryKey(sc, id+"-"+service.NewID()),
			Body: records.Deliveries.Encode(del), DueAt: x.cfg.Clock.Now()}
		if err := tx.Insert(ctx, &rec); err != nil {
			return err
		}
	}
	tx.Notify(appconfig.OutboxTopic())
	return nil
}

func (x *Extensions) names(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d *appconfig.Deployment) (Ref, Ref, Ref, error) {
	appName, envName, err := x.svc.Names(ctx, tx, sc, d.ApplicationID, d.EnvironmentID)
	return Ref{ID: d.ApplicationID, Name: appName}, Ref{ID: d.EnvironmentID, Name: envName}, Ref{ID: d.ConfigurationProfileID, Name: d.ConfigurationName}, err
}

// Tick implements deploy.Hooks: it runs AT_DEPLOYMENT_TICK actions; a
// ROLL_BACK directive or a failed invocation rolls the deployment back.
func (x *Extensions) Tick(ctx context.Context, sc appconfig.Scope, d appconfig.Deployment) deploy.TickResult {
	var out deploy.TickResult
	bound, err := x.bound(ctx, sc, appconfig.AtDeploymentTick, d.ApplicationID, d.EnvironmentID, d.ConfigurationProfileID)
	if err != nil {
		x.cfg.Logger.Warn("reading tick actions failed", "err", err)
		return out
	}
	for _, b := range bound {
		id := service.NewID()
		params := parameters(b.Association.Parameters, nil)
		p := Payload{InvocationID: id, Type: appconfig.AtDeploymentTick.PayloadType(), Parameters: params,
			Application: Ref{ID: d.ApplicationID}, Environment: &Ref{ID: d.EnvironmentID}, ConfigurationProfile: Ref{ID: d.ConfigurationProfileID, Name: d.ConfigurationName},
			DeploymentNumber: intPtr(d.DeploymentNumber), Description: d.Description, ConfigurationVersion: d.ConfigurationVersion,
			DeploymentState: string(d.State), PercentageComplete: percent(d.PercentageComplete)}
		body, _ := json.Marshal(p)
		r := x.inv.Invoke(ctx, sc, target(sc, b, params), appconfig.AtDeploymentTick, body)
		x.observe(appconfig.AtDeploymentTick, r)
		inv := invocation(b, id)
		switch {
		case r.failed():
			inv.ErrorCode, inv.ErrorMessage = r.ErrorCode, r.Error
			out.RollBack = true
			out.Description = "Rollback started: AT_DEPLOYMENT_TICK action " + b.Action.Name + " of extension " + b.Extension.Name + " failed: " + r.Error
		case r.Directive == "ROLL_BACK":
			out.RollBack = true
			out.Description = r.Description
			if out.Description == "" {
				out.Description = "Rollback requested by extension " + b.Extension.Name
			}
		}
		out.Invocations = append(out.Invocations, inv)
		if out.RollBack {
			break
		}
	}
	return out
}

// ValidateWithLambda implements service.LambdaInvoker for LAMBDA validators.
func (x *Extensions) ValidateWithLambda(ctx context.Context, sc appconfig.Scope, functionArn string, ev service.LambdaValidationEvent) error {
	body, _ := json.Marshal(ev)
	r := x.inv.Invoke(ctx, sc, Target{URI: functionArn}, validatorPoint, body)
	if !r.failed() {
		return nil
	}
	if r.ErrorCode == CodeFunctionError || r.ErrorCode == CodeHTTPError {
		return appconfig.InvalidConfigurationError("The configuration failed validation by Lambda function "+functionArn+": "+r.Error,
			[]appconfig.InvalidConfiguration{{Constraint: functionArn, Reason: r.Error, Type: "LAMBDA", Value: r.Error}})
	}
	return appconfig.BadRequest("The LAMBDA validator %s could not be run: %s (%s)", functionArn, r.Error, r.ErrorCode)
}
