package shape

import (
	"net/url"
	"reflect"
	"testing"
)

// Request.ParseQuery must read every query exactly as url.ParseQuery does,
// whether it takes the single-pair path or not.
func TestParseQueryAgreesWithURL(t *testing.T) {
	queries := []string{
		"", "configuration_token=AYADeJ2xk", "a", "=x", "a=", "a=b=c", "a=b&c=d", "a=b&a=c",
		"a=%20b", "a=b+c", "a=%ZZ", "a=b;c=d", "a;b", "&", "a=b&", "&a=b", "flag=x&flag=y",
		"client_id=1", "x=a/b?c", "%61=b", "a+b=c",
	}
	for _, raw := range queries {
		want, wantErr := url.ParseQuery(raw)
		var r Request
		err := r.ParseQuery(raw)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%q: error %v, url.ParseQuery's %v", raw, err, wantErr)
			continue
		}
		keys := map[string]bool{"a": true, "": true, "c": true, "flag": true, "client_id": true, "x": true, "configuration_token": true, "a b": true, "b": true, "zz": true}
		for k := range want {
			keys[k] = true
		}
		for k := range keys {
			gotVs, gotOK := r.QueryValues(k)
			wantVs, wantOK := want[k]
			if gotOK != wantOK || !reflect.DeepEqual(gotVs, wantVs) {
				t.Errorf("%q: QueryValues(%q) = %q, %v; url.ParseQuery: %q, %v", raw, k, gotVs, gotOK, wantVs, wantOK)
			}
		}
	}
}
