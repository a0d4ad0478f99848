package credential

import "strings"

// shape is the kind of credential a string can be. Every credential this
// service issues has a shape of its own, so each is looked up in its one
// store, and a string of no shape is refused without any lookup.
type shape int

const (
	shapeNone shape = iota
	shapeSession
	shapeJWT
	shapeDevKey
	shapeAccessToken
)

const (
	uuidLen        = 36 // session tokens
	accessTokenLen = 43 // 32 random bytes, unpadded base64url
	maxDevKeyLen   = 60 // unix seconds, then a UUID
)

func shapeOf(s string) shape {
	switch {
	case strings.Count(s, ".") == 2:
		return shapeJWT
	case len(s) == uuidLen && isUUID(s):
		return shapeSession
	case len(s) > uuidLen && len(s) <= maxDevKeyLen && isDigits(s[:len(s)-uuidLen]) && isUUID(s[len(s)-uuidLen:]):
		return shapeDevKey
	case len(s) == accessTokenLen && isBase64URL(s):
		return shapeAccessToken
	}
	return shapeNone
}

// isUUID checks the textual form 8-4-4-4-12 of lower-case hex digits, as
// uuid.UUID.String writes it.
func isUUID(s string) bool {
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return len(s) == uuidLen
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isBase64URL(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
