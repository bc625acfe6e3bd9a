package itest

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	"github.com/appconfigd/appconfigd/internal/store/postgres/pgtest"
)

// Replicas are separate appconfigd processes sharing one PostgreSQL
// database (a fresh one per test, on the server scripts/test.sh starts).

func replica(t *testing.T, dsn string, extra ...string) *Proc {
	t.Helper()
	return StartBinary(t, append([]string{"--store", dsn, "--data-dir", t.TempDir()}, extra...)...)
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReplicaDiesMidDeployment: the replica advancing a deployment is
// killed with SIGKILL; the other one completes it with an unbroken log.
func TestReplicaDiesMidDeployment(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	a := replica(t, dsn, "--time-scale", "600")
	f := newFixture(t, binaryClient(a.URL))
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 10, 5), "2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rollout to start on replica A", 30*time.Second, func() bool {
		return aws.ToFloat32(f.get(t, 1).PercentageComplete) >= 20
	})
	b := replica(t, dsn, "--time-scale", "600")
	if err := a.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.Cmd.Wait()
	fb := binaryFixture(f, b.URL)
	waitFor(t, "replica B to complete the deployment", 60*time.Second, func() bool {
		return fb.get(t, 1).State == types.DeploymentStateComplete
	})
	d := fb.get(t, 1)
	var got []string
	last := float32(0)
	for i := len(d.EventLog) - 1; i >= 0; i-- {
		e := d.EventLog[i]
		got = append(got, string(e.EventType))
		if e.EventType == types.DeploymentEventTypePercentageUpdated {
			var pct float32
			fmt.Sscanf(aws.ToString(e.Description), "Configuration available to %f%%", &pct)
			if pct <= last {
				t.Fatalf("percentages not increasing: %v", got)
			}
			last = pct
		}
	}
	want := "[DEPLOYMENT_STARTED" + strings.Repeat(" PERCENTAGE_UPDATED", 10) + " BAKE_TIME_STARTED DEPLOYMENT_COMPLETED]"
	if fmt.Sprint(got) != want {
		t.Fatalf("event log after failover:\n%v\nwant %s\nreplica B log:\n%s", got, want, b.Log.String())
	}
}

// TestReplicasKeepLocks: concurrent writers on two replicas never
// duplicate a version number, and only one deployment starts per
// environment.
func TestReplicasKeepLocks(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	a, b := replica(t, dsn), replica(t, dsn)
	ca, cb := binaryClient(a.URL), binaryClient(b.URL)
	f := newFixture(t, ca)
	const n = 30
	var wg sync.WaitGroup
	var mu sync.Mutex
	var numbers []int
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := ca
			if i%2 == 1 {
				c = cb
			}
			v, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
				Content: []byte(fmt.Sprintf(`{"writer":%d}`, i)), ContentType: aws.String("application/json")})
			if err != nil {
				t.Errorf("writer %d: %v", i, err)
				return
			}
			mu.Lock()
			numbers = append(numbers, int(v.VersionNumber))
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	sort.Ints(numbers)
	for i, v := range numbers {
		if v != i+3 { // versions 1 and 2 came with the fixture
			t.Fatalf("version numbers %v", numbers)
		}
	}
	// The optimistic lock holds across replicas too.
	_, err := cb.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
		Content: []byte("{}"), ContentType: aws.String("application/json"), LatestVersionNumber: aws.Int32(3)})
	WantError(t, err, "ConflictException", 409)

	// Quotas hold too: 120 concurrent creations through both replicas, of
	// which exactly 100 (AWS's quota) succeed.
	qa, qb := binaryClientAs(a.URL, "777777777777"), binaryClientAs(b.URL, "777777777777")
	var created, refused int
	for i := 0; i < 120; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := qa
			if i%2 == 1 {
				c = qb
			}
			_, err := c.CreateApplication(ctx, &sdk.CreateApplicationInput{Name: aws.String(fmt.Sprint("q", i))})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case ErrorCode(err) == "ServiceQuotaExceededException":
				refused++
			default:
				t.Errorf("create %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if created != 100 || refused != 20 {
		t.Fatalf("%d applications created, %d refused (quota 100)", created, refused)
	}

	st := f.strategy(t, 30, types.GrowthTypeLinear, 10, 0)
	results := make([]error, 10)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := ca
			if i%2 == 1 {
				c = cb
			}
			_, results[i] = c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env),
				ConfigurationProfileId: aws.String(f.prof), DeploymentStrategyId: aws.String(st), ConfigurationVersion: aws.String("1")})
		}(i)
	}
	wg.Wait()
	started := 0
	for _, err := range results {
		switch {
		case err == nil:
			started++
		case ErrorCode(err) != "ConflictException":
			t.Fatalf("start: %v", err)
		}
	}
	if started != 1 {
		t.Fatalf("%d deployments started in one environment", started)
	}
}

// TestReplicasShareSessionsAndLearnChanges: a token from one replica is
// honoured by the other, and a deployment made through one replica
// reaches the other's sessions promptly (LISTEN/NOTIFY).
func TestReplicasShareSessionsAndLearnChanges(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	a, b := replica(t, dsn, "--time-scale", "60"), replica(t, dsn, "--time-scale", "60")
	f := newFixture(t, binaryClient(a.URL))
	now, err := f.c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("now"), DeploymentDurationInMinutes: aws.Int32(0), GrowthFactor: aws.Float32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.start(aws.ToString(now.Id), "1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first deployment", 30*time.Second, func() bool { return f.get(t, 1).State == types.DeploymentStateComplete })
	tok, _ := startSession(t, a.URL, f.app, f.env, f.prof, 15)
	p := getLatest(t, b.URL, tok)
	if p.status != 200 || string(p.body) != `{"v":1}` {
		t.Fatalf("replica B on A's token: %d %s", p.status, p.body)
	}
	if _, err := f.start(aws.ToString(now.Id), "2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second deployment", 30*time.Second, func() bool { return f.get(t, 2).State == types.DeploymentStateComplete })
	completed := time.Now()
	time.Sleep(260 * time.Millisecond) // the session's 15 s minimum interval at ×60
	token := p.token
	waitFor(t, "replica B to serve the new version", 5*time.Second, func() bool {
		r := getLatest(t, b.URL, token)
		if r.status == 400 && problemOf(r) == "PollIntervalNotSatisfied" {
			return false
		}
		if r.status != 200 {
			t.Fatalf("poll on B: %d %s", r.status, r.body)
		}
		token = r.token
		return string(r.body) == `{"v":2}`
	})
	t.Logf("replica B served the new version %v after the deployment completed on A", time.Since(completed))
}

// TestReplicasDeliverEachEventOnce: both replicas drain the extension
// outbox; each ON_* event reaches the receiver once.
func TestReplicasDeliverEachEventOnce(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	rcv := newReceiver(t, nil)
	args := []string{"--time-scale", "600", "--extension-allow-hosts", "127.0.0.1"}
	a, b := replica(t, dsn, args...), replica(t, dsn, args...)
	f := newFixture(t, binaryClient(a.URL))
	envArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/environment/%s", f.app, f.env)
	associate(t, f.c, "notify", map[string][]types.Action{"ON_DEPLOYMENT_START": action("start", rcv.URL), "ON_DEPLOYMENT_STEP": action("step", rcv.URL),
		"ON_DEPLOYMENT_COMPLETE": action("done", rcv.URL)}, envArn, nil, nil)
	fb := binaryFixture(f, b.URL)
	for i := 1; i <= 3; i++ {
		c := f
		if i%2 == 0 {
			c = fb
		}
		if _, err := c.start(f.strategy(t, 2, types.GrowthTypeLinear, 25, 0), "1"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "deployment "+fmt.Sprint(i), 30*time.Second, func() bool { return f.get(t, int32(i)).State == types.DeploymentStateComplete })
	}
	// 3 deployments × (start + 4 steps + complete).
	waitFor(t, "every event delivered", 30*time.Second, func() bool { return len(rcv.types()) >= 18 })
	time.Sleep(200 * time.Millisecond)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	seen := map[string]int{}
	for _, e := range rcv.events {
		seen[fmt.Sprint(e["InvocationId"])]++
	}
	if len(rcv.events) != 18 || len(seen) != 18 {
		t.Fatalf("%d deliveries of %d invocations", len(rcv.events), len(seen))
	}
}

// TestCompatOnPostgres runs the boto3, aws CLI and JavaScript SDK suites
// against servers on PostgreSQL.
func TestCompatOnPostgres(t *testing.T) {
	NeedPython(t)
	NeedNode(t)
	p := replica(t, pgtest.FreshDatabase(t))
	RunPython(t, "test/compat/controlplane_test.py", p.URL)
	q := replica(t, pgtest.FreshDatabase(t), "--time-scale", "600")
	RunPython(t, "test/compat/dataplane_test.py", q.URL, "APPCONFIGD_TIME_SCALE=600")
	r := replica(t, pgtest.FreshDatabase(t), "--time-scale", "600", "--extension-allow-hosts", "127.0.0.1")
	RunNode(t, "test/compat/js", r.URL, "APPCONFIGD_TIME_SCALE=600")
	resp, err := http.Get(q.URL + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz on postgres: %v %v", resp, err)
	}
	resp.Body.Close()
}
