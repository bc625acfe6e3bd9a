package itest

import (
	"testing"

	"github.com/appconfigd/appconfigd/internal/testutil/motoserver"
)

// StartMoto runs moto_server on a free loopback port for AWS services
// appconfigd talks to (CloudWatch, SQS, EventBridge, SNS); its log is
// printed if the test fails.
func StartMoto(t testing.TB) string {
	t.Helper()
	return motoserver.Start(t)
}
