//go:build !linux

package benchutil

import (
	"os"
	"syscall"
	"time"
)

func childAttr() *syscall.SysProcAttr { return nil }

func signalGroup(pid int, kill bool) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	if kill {
		_ = p.Kill()
		return
	}
	_ = p.Signal(os.Interrupt)
}

// ProcCPU is not available off Linux.
func ProcCPU(pid int) (time.Duration, bool) { return 0, false }

// SelfCPU is not available off Linux.
func SelfCPU() time.Duration { return 0 }

// ProcMem is a process's memory (Linux only).
type ProcMem struct {
	RSS, HWM, RSSAnon int64
}

// ReadProcMem is not available off Linux.
func ReadProcMem(pid int) (ProcMem, bool) { return ProcMem{}, false }

// ProcCPUWithChildren is not available off Linux.
func ProcCPUWithChildren(pid int) (time.Duration, bool) { return 0, false }

// ChildPids is not available off Linux.
func ChildPids(parent int) []int { return nil }

func ppid(pid int) int    { return 0 }
func comm(pid int) string { return "" }
