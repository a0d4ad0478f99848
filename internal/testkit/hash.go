package testkit

import "strconv"

// HashCost is an argon2id cost, field for field account.HashParams, which
// testkit cannot import (account's own tests import testkit); convert it
// with account.HashParams(testkit.CheapHash).
type HashCost struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// CheapHash is the cost tests hash passwords at: 64 KiB and one pass, so a
// suite of thousands of logins stays fast. The few tests of the real cost
// use account.DefaultHashParams.
var CheapHash = HashCost{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}

// CheapHashEnv is CheapHash as the settings of a process ("XTRA_X=v"): the
// environment of a built binary, or t.Setenv for a CLI run in the test.
func CheapHashEnv() []string {
	return []string{
		"XTRA_ARGON2_MEMORY=" + strconv.FormatUint(uint64(CheapHash.Memory), 10),
		"XTRA_ARGON2_TIME=" + strconv.FormatUint(uint64(CheapHash.Time), 10),
		"XTRA_ARGON2_THREADS=" + strconv.FormatUint(uint64(CheapHash.Threads), 10),
	}
}
