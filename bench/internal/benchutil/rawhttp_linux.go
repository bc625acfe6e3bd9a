package benchutil

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// discardConn discards the next n bytes c receives without copying them
// to user space: recv(2) with MSG_TRUNC on a TCP socket drops the bytes
// and returns how many it dropped (tcp(7)), so the count is exact. It
// waits for data as a read would (the connection's deadline applies).
// ok is false when c is not a TCP connection (the caller reads instead).
func discardConn(c net.Conn, n int64) (done int64, ok bool, err error) {
	tc, isTCP := c.(*net.TCPConn)
	if !isTCP {
		return 0, false, nil
	}
	sc, err := tc.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var one [1]byte // MSG_TRUNC writes nothing here, whatever the length
	var opErr error
	err = sc.Read(func(fd uintptr) bool {
		for done < n {
			m, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd,
				uintptr(unsafe.Pointer(&one[0])), uintptr(n-done),
				syscall.MSG_TRUNC|syscall.MSG_DONTWAIT, 0, 0)
			switch {
			case errno == syscall.EAGAIN:
				return false // wait until readable
			case errno == syscall.EINTR:
				continue
			case errno != 0:
				opErr = errno
				return true
			case m == 0:
				opErr = io.ErrUnexpectedEOF
				return true
			}
			done += int64(m)
		}
		return true
	})
	if err == nil {
		err = opErr
	}
	return done, true, err
}
