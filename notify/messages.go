package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"xtraauth/account"
	"xtraauth/approval"
	"xtraauth/lockout"
	"xtraauth/store"
)

// auditLock is the lockout's audit kind of a login being locked.
const auditLock = "lock"

// Coding priorities of the issues filed.
const (
	prioritySpraying   = "1"
	priorityAdminLocks = "2"
)

// plan decides who hears of an audit event, and what. Messages are made
// of the event's own fields, which never hold a secret.
func (s *Sender) plan(ctx context.Context, e store.AuditEvent) ([]store.Delivery, error) {
	switch e.Kind {
	case auditLock:
		return s.planLock(ctx, e)
	case lockout.AuditSpraying:
		msg := s.message(e, "Password spraying from "+e.Address,
			fmt.Sprintf("The address %s reached %s; every password login from it now needs a captcha.", e.Address, e.Outcome), "/")
		return append(s.toAdmins(e, msg), s.toCoding(e, msg, prioritySpraying)...), nil
	case account.AuditDevKeyCreated, account.AuditDevKeyRevoked, account.AuditPasswordChanged, account.AuditUserDisabled:
		return s.planAccount(ctx, e)
	case approval.AuditApproval:
		return s.planDecision(ctx, e)
	}
	return nil, nil
}

// user finds the account an event's subject names; ok is false for a name
// that is no account's.
func (s *Sender) user(ctx context.Context, login string) (store.User, bool, error) {
	u, err := s.d.Users.GetUserByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	}
	return u, err == nil, err
}

// planLock tells the user, the admins' groups and, for a super admin,
// Coding. A login that is no account's is not named: people type
// passwords into the login field.
func (s *Sender) planLock(ctx context.Context, e store.AuditEvent) ([]store.Delivery, error) {
	u, ok, err := s.user(ctx, e.Subject)
	if err != nil {
		return nil, err
	}
	if !ok {
		msg := s.message(e, "An unknown login was locked",
			"A login that is no account's was locked after too many wrong passwords from "+e.Address+".", "/")
		return s.toAdmins(e, msg), nil
	}
	msg := s.message(e, "Login locked: "+u.Login, fmt.Sprintf(
		"The login %s was %s after too many wrong passwords from %s.", u.Login, e.Outcome, e.Address), "/")
	out := append(s.toPerson(e, u, msg), s.toAdmins(e, msg)...)
	if u.IsSuper {
		admin := msg
		admin.Title = "[xtraauth] Super admin locked: " + u.Login
		out = append(out, s.toCoding(e, admin, priorityAdminLocks)...)
	}
	return out, nil
}

func (s *Sender) planAccount(ctx context.Context, e store.AuditEvent) ([]store.Delivery, error) {
	u, ok, err := s.user(ctx, e.Subject)
	if err != nil || !ok {
		return nil, err
	}
	what := map[string][2]string{
		account.AuditDevKeyCreated:   {"dev_key made", "A dev_key was made for your login %s"},
		account.AuditDevKeyRevoked:   {"dev_key revoked", "A dev_key of your login %s was revoked"},
		account.AuditPasswordChanged: {"Password changed", "The password of your login %s was changed"},
		account.AuditUserDisabled:    {"Login disabled", "Your login %s was disabled"},
	}[e.Kind]
	text := fmt.Sprintf(what[1], u.Login) + " (" + e.Outcome + "). If this was not you, tell an admin at once."
	return s.toPerson(e, u, s.message(e, what[0], text, "/")), nil
}

// planDecision tells a requester how their request was decided.
func (s *Sender) planDecision(ctx context.Context, e store.AuditEvent) ([]store.Delivery, error) {
	d, ok := approval.ParseOutcome(e.Outcome)
	if !ok || (d.State != store.ApprovalApproved && d.State != store.ApprovalRejected) {
		return nil, nil
	}
	u, ok, err := s.user(ctx, e.Subject)
	if err != nil || !ok {
		return nil, err
	}
	what := "unlock request"
	if d.Kind == store.ApprovalDevKey {
		what = "dev_key request"
	}
	text := fmt.Sprintf("Your %s #%d was %s %s.", what, d.ID, d.State, d.Rest)
	switch {
	case d.State == store.ApprovalRejected:
	case d.Kind == store.ApprovalDevKey:
		text += " Claim the key in the web page within 24 hours; it is shown once."
	default:
		text += " You can log in again."
	}
	msg := s.message(e, fmt.Sprintf("Your %s was %s", what, d.State), text, "/?approval="+strconv.FormatInt(d.ID, 10))
	return s.toPerson(e, u, msg), nil
}

// message names the event, when and from where it happened, and links to
// path in the page.
func (s *Sender) message(e store.AuditEvent, title, text, path string) Message {
	lines := []string{text, "When: " + e.At.UTC().Format("2006-01-02 15:04:05 UTC")}
	if e.Address != "" {
		lines = append(lines, "From: "+e.Address)
	}
	if s.d.PublicURL != "" {
		lines = append(lines, s.d.PublicURL+path)
	}
	return Message{Title: "[xtraauth] " + title, Text: strings.Join(lines, "\n")}
}

func delivery(e store.AuditEvent, channel, recipient string, msg Message) store.Delivery {
	return store.Delivery{EventID: e.ID, Channel: channel, Recipient: recipient, Title: msg.Title,
		Text: msg.Text, Priority: msg.Priority, CreatedAt: e.At, NextAt: e.At}
}

// toPerson writes to u on each personal channel that can find them: by
// mobile on DingTalk, by mobile or email on Feishu.
func (s *Sender) toPerson(e store.AuditEvent, u store.User, msg Message) []store.Delivery {
	var out []store.Delivery
	id := strconv.FormatInt(u.ID, 10)
	if _, ok := s.d.Channels[DingTalk]; ok && u.Mobile != "" {
		out = append(out, delivery(e, DingTalk, id, msg))
	}
	if _, ok := s.d.Channels[Feishu]; ok && (u.Mobile != "" || u.Email != "") {
		out = append(out, delivery(e, Feishu, id, msg))
	}
	return out
}

// toAdmins posts to the admins' group robots.
func (s *Sender) toAdmins(e store.AuditEvent, msg Message) []store.Delivery {
	var out []store.Delivery
	for _, name := range []string{DingTalkRobot, FeishuRobot} {
		if _, ok := s.d.Channels[name]; ok {
			out = append(out, delivery(e, name, "", msg))
		}
	}
	return out
}

// toCoding files an issue.
func (s *Sender) toCoding(e store.AuditEvent, msg Message, priority string) []store.Delivery {
	if _, ok := s.d.Channels[Coding]; !ok {
		return nil
	}
	msg.Priority = priority
	return []store.Delivery{delivery(e, Coding, "", msg)}
}

// recipient is the person a delivery is for, read afresh so that a new
// mobile counts; one who is gone cannot be told.
func (s *Sender) recipient(ctx context.Context, id string) (store.User, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return store.User{}, Permanent(fmt.Errorf("recipient %q is not a user id", id))
	}
	u, err := s.d.Users.GetUser(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, Permanent(errors.New("the user no longer exists"))
	}
	return u, err
}
