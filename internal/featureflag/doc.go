// Package featureflag implements AWS.AppConfig.FeatureFlags documents:
// validation of the stored (authoring) format (Validate), the metadata the
// service stamps on what it stores (Stamp), the simplified document clients
// receive (ClientView, ClientViewFor), the variant rule language
// (ParseRule, Rule.Eval), and evaluation on a document compiled once
// (Compile, Compiled.Evaluate: value, variant, reason and attributes per
// flag, as OpenFeature reports them).
//
// Sources are the published JSON schema and the user-guide pages on
// feature flags, multi-variant flags and their rules (see
// docs/aws-behavior.md §5). Where AWS is silent, the
// choice made is written next to the code that makes it; Validate's doc
// comment lists every validation rule with its source.
//
// Everything here is pure: no I/O, no clock (Stamp takes now), no
// package-level mutable state.
package featureflag
