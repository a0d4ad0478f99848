// Package account manages users and dev_keys and checks their secrets.
//
// Every check of a secret — a password at any front door, an old password
// on a change, a dev_key — runs behind the Gate (the lockout): Enter before
// the password is looked at, Finish with the outcome, Cancel when the
// hashing pool was full and nothing was checked. So no caller can check a
// password without the counters. Passwords are argon2id PHC strings
// (imported bcrypt hashes are accepted and upgraded on the next good
// login), hashed on a bounded pool; unknown logins pay one hash against a
// dummy so that time does not tell which logins exist. dev_keys are the
// seed's unix seconds followed by a UUID v4, kept as SHA-256.
package account
