//go:build !linux

package benchutil

import "net"

// discardConn is Linux only (recv with MSG_TRUNC); elsewhere the caller
// reads the body through its buffer.
func discardConn(net.Conn, int64) (int64, bool, error) { return 0, false, nil }
