package deploy_test

import (
	"go/ast"
	"testing"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

// TestOnlyTheLifecycleWritesDeployments scans every non-test Go file of
// the module outside internal/deploy (and internal/records, which owns
// every kind's format and has no deployment accessor) and fails on code
// that could write a deployment record there:
//   - naming the deployment record kind or key layout at all
//     (appconfig.RecordDeployment, records.DeploymentKey,
//     records.Deployments): reads go through deploy.Get, Newest, Query,
//     Key and Decode;
//   - building an appconfig.Record whose key is a deployment's;
//   - passing a deployment's key or query to a store write (Put, Insert,
//     Delete, DeleteAll).
//
// Its runtime twin, TestLifecycleIsTheOnlyDeploymentWriter in
// internal/extension, runs every writing path on a store that refuses
// deployment writes that do not come from the lifecycle.
func TestOnlyTheLifecycleWritesDeployments(t *testing.T) {
	testutil.EachGoFile(t, "../..", []string{"internal/deploy", "internal/records"}, func(g testutil.GoFile) {
		for _, p := range deploymentWrites(g.File) {
			t.Errorf("%s: %s (only internal/deploy writes deployment records)", g.Pos(p.node), p.what)
		}
	})
}

type problem struct {
	node ast.Node
	what string
}

var deploymentKeyFuncs = map[string]bool{"Key": true, "RecordKey": true, "Query": true}

// mentionsDeploymentKey reports whether e contains deploy.Key, RecordKey
// or Query.
func mentionsDeploymentKey(e ast.Node) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "deploy" && deploymentKeyFuncs[sel.Sel.Name] {
				found = true
			}
		}
		return !found
	})
	return found
}

func deploymentWrites(f *ast.File) []problem {
	var out []problem
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && (id.Name == "appconfig" && n.Sel.Name == "RecordDeployment" || id.Name == "records" && (n.Sel.Name == "DeploymentKey" || n.Sel.Name == "Deployments")) {
				out = append(out, problem{n, "names " + id.Name + "." + n.Sel.Name})
			}
		case *ast.CompositeLit:
			if sel, ok := n.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Record" && mentionsDeploymentKey(n) {
				out = append(out, problem{n, "builds a Record with a deployment key"})
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
				switch sel.Sel.Name {
				case "Put", "Insert", "Delete", "DeleteAll":
					for _, a := range n.Args {
						if mentionsDeploymentKey(a) {
							out = append(out, problem{n, "passes a deployment key to " + sel.Sel.Name})
						}
					}
				}
			}
		}
		return true
	})
	return out
}
