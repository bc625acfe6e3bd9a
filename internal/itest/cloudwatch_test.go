package itest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/appconfigd/appconfigd/internal/server"
)

func TestRollbackByCloudWatchAlarmInMoto(t *testing.T) {
	moto := StartMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	cw := cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")},
		func(o *cloudwatch.Options) { o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801) })
	for _, name := range []string{"errors", "muted"} {
		_, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), MetricName: aws.String("Errors"), Namespace: aws.String("App"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, ActionsEnabled: aws.Bool(name != "muted")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: cwtypes.StateValueOk, StateReason: aws.String("fine")}); err != nil {
			t.Fatal(err)
		}
	}
	described, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"errors"}})
	if err != nil || len(described.MetricAlarms) != 1 {
		t.Fatalf("describe: %v", err)
	}
	arn := aws.ToString(described.MetricAlarms[0].AlarmArn)
	withMoto := func(c *server.Config) { c.CloudWatchEndpoint = moto }
	d := runWithMonitorOpts(t, arn, []Option{withMoto}, func() {
		if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("errors"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("errors spiked")}); err != nil {
			t.Fatal(err)
		}
	})
	wantAlarmRollback(t, d)

	// An alarm whose actions are disabled is ignored, as AppConfig does.
	mutedArn := arn[:len(arn)-len("errors")] + "muted"
	d = runWithMonitorOpts(t, mutedArn, []Option{withMoto}, func() {
		cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("muted"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("x")})
	})
	if d.State != "COMPLETE" {
		t.Fatalf("muted alarm rolled back: %s", d.State)
	}
}
