package service

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	appconfig "github.com/appconfigd/appconfigd"
)

// schemaCache keeps compiled JSON Schema validators by their text, so a
// profile's validator is compiled once, not per deployment.
type schemaCache struct {
	mu sync.Mutex
	m  map[[32]byte]*jsonschema.Schema
}

func newSchemaCache() *schemaCache { return &schemaCache{m: map[[32]byte]*jsonschema.Schema{}} }

const maxCachedSchemas = 512

// compile compiles a JSON_SCHEMA validator's content. Schemas without
// $schema are read as draft-04, as AppConfig does; $ref may point only
// inside the document (no files, no network).
func (c *schemaCache) compile(text string) (*jsonschema.Schema, error) {
	sum := sha256.Sum256([]byte(text))
	c.mu.Lock()
	if s, ok := c.m[sum]; ok {
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("the validator content is not valid JSON: %v", err)
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft4)
	comp.UseLoader(jsonschema.SchemeURLLoader{})
	const loc = "urn:appconfigd:validator"
	if err := comp.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("the validator content is not a valid JSON schema: %v", err)
	}
	sch, err := comp.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("the validator content is not a valid JSON schema: %v", err)
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedSchemas {
		clear(c.m)
	}
	c.m[sum] = sch
	c.mu.Unlock()
	return sch, nil
}

// checkValidators refuses validators that could never run.
func (s *Service) checkValidators(vs []appconfig.Validator) error {
	for i, v := range vs {
		switch v.Type {
		case "JSON_SCHEMA":
			if _, err := s.schemas.compile(v.Content); err != nil {
				return appconfig.BadRequest("Validator %d: %v", i+1, err)
			}
		case "LAMBDA":
			// The parser the invoker uses, so an accepted validator can run.
			if _, err := appconfig.ParseTargetARN(v.Content, appconfig.ARNLambda); err != nil {
				ae := err.(*appconfig.ARNError)
				return appconfig.BadRequest("Validator %d: the content of a LAMBDA validator must be the ARN of a Lambda function: %s. Use %s.",
					i+1, ae.Reason, appconfig.ARNLambda.Form())
			}
		}
	}
	return nil
}

// validateJSONSchema checks content against a schema and returns the
// violations as InvalidConfiguration details.
func (s *Service) validateJSONSchema(schemaText string, content []byte) ([]appconfig.InvalidConfiguration, error) {
	sch, err := s.schemas.compile(schemaText)
	if err != nil {
		return nil, appconfig.BadRequest("%v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(content))
	if err != nil {
		return []appconfig.InvalidConfiguration{{
			Constraint: "JSON",
			Location:   "",
			Reason:     "The configuration is not valid JSON: " + err.Error(),
			Type:       "JSON_SCHEMA",
		}}, nil
	}
	verr := sch.Validate(inst)
	if verr == nil {
		return nil, nil
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		return []appconfig.InvalidConfiguration{{Reason: verr.Error(), Type: "JSON_SCHEMA"}}, nil
	}
	printer := message.NewPrinter(language.English)
	var out []appconfig.InvalidConfiguration
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			kw := e.ErrorKind.KeywordPath()
			constraint := ""
			if len(kw) > 0 {
				constraint = kw[len(kw)-1]
			}
			out = append(out, appconfig.InvalidConfiguration{
				Constraint: constraint,
				Location:   "/" + strings.Join(e.InstanceLocation, "/"),
				Reason:     e.ErrorKind.LocalizedString(printer),
				Type:       "JSON_SCHEMA",
				Value:      valueAt(inst, e.InstanceLocation),
			})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out, nil
}

// valueAt renders the instance value at a location as JSON, truncated.
func valueAt(inst any, loc []string) string {
	v := inst
	for _, p := range loc {
		switch t := v.(type) {
		case map[string]any:
			v = t[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i < 0 || i >= len(t) {
				return ""
			}
			v = t[i]
		default:
			return ""
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	if len(b) > 256 {
		b = append(b[:253], "..."...)
	}
	return string(b)
}
