package dataplane

import "crypto/sha256"

func sha(b [16]byte) [16]byte {
	s := sha256.Sum256(b[:])
	var out [16]byte
	copy(out[:], s[:])
	return out
}
