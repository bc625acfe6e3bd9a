//go:build !unix

package main

import "io"

func terminalWidth(io.Writer) int { return columnsEnv() }
