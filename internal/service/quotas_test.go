package service

import "testing"

func TestParseQuotas(t *testing.T) {
	q, err := ParseQuotas("applications=500, hosted-configuration-kb=4000")
	if err != nil || q.Applications != 500 || q.HostedConfigurationKB != 4000 {
		t.Fatalf("%+v %v", q, err)
	}
	d := q.WithDefaults()
	if d.EnvironmentsPerApp != 20 || d.Applications != 500 {
		t.Fatalf("defaults %+v", d)
	}
	for _, bad := range []string{"applications", "apps=3", "applications=-1", "applications=x"} {
		if _, err := ParseQuotas(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}
