// Package gen holds the wire code generated from the AWS service models in
// models/ (see models/README.md): run `go generate ./internal/wire/gen`.
package gen

//go:generate go run ../wiregen -model ../../../models/appconfig/2019-10-09/service-2.json -pkg acapi -out acapi
//go:generate go run ../wiregen -model ../../../models/appconfigdata/2021-11-11/service-2.json -pkg dataapi -out dataapi
