package approval

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"xtraauth/store"
)

// Summary describes an approval for the people deciding it on a platform.
func Summary(a store.Approval) string {
	var what string
	switch a.Kind {
	case store.ApprovalUnlock:
		what = fmt.Sprintf("Unlock the login %s, locked after too many wrong passwords.", a.Login)
	default:
		what = fmt.Sprintf("A new dev_key labelled %q for %s.", a.Label, a.Login)
	}
	if a.Reason != "" {
		what += " Reason: " + a.Reason
	}
	return fmt.Sprintf("xtraauth request #%d, %s: %s", a.ID, a.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"), what)
}

// UserIDer finds people on a platform.
type UserIDer interface {
	UserID(ctx context.Context, u store.User) (string, error)
}

// Participants finds the approvers and the originator of an instance on a
// platform: the originator is the requester when found, else one of the
// approvers, who is then left out of the approvers if any other remains
// (a platform may pass an approver's own task automatically when they
// also started the instance).
func Participants(ctx context.Context, p UserIDer, requester store.User, approvers []store.User) (originator string, ids []string, err error) {
	for _, u := range approvers {
		id, err := p.UserID(ctx, u)
		if errors.Is(err, ErrNoAccount) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return "", nil, errors.New("no enabled super admin found on the platform by mobile or email")
	}
	originator, err = p.UserID(ctx, requester)
	switch {
	case errors.Is(err, ErrNoAccount) && len(ids) > 1:
		return ids[0], ids[1:], nil
	case errors.Is(err, ErrNoAccount):
		return ids[0], ids, nil
	}
	return originator, ids, err
}

// Task is one approver's task in a platform's instance.
type Task struct {
	ID, UserID string
	Pending    bool
	Outcome    string // the platform's word for what the approver did
}

// TaskUser is the user of the first task with the outcome: who gave an
// instance its result.
func TaskUser(tasks []Task, outcome string) string {
	for _, t := range tasks {
		if t.Outcome == outcome {
			return t.UserID
		}
	}
	return ""
}

// Mirror carries a decision made in xtraauth (a, decided by by) to its
// instance on p, if still pending there: the deciding admin's own pending
// task is settled when they have an account there; otherwise, or when the
// requester withdrew, the instance is ended.
func Mirror(ctx context.Context, p Platform, a store.Approval, by store.User) error {
	inst, err := p.Instance(ctx, a.InstanceID)
	if err != nil || inst.Status != InstancePending {
		return err
	}
	uid := ""
	if a.State != store.ApprovalCanceled {
		if uid, err = p.UserID(ctx, by); err != nil && !errors.Is(err, ErrNoAccount) {
			return err
		}
	}
	for _, t := range inst.Tasks {
		if uid != "" && t.UserID == uid && t.Pending {
			return p.DecideTask(ctx, a.InstanceID, inst, t, a.State == store.ApprovalApproved, a.Remark)
		}
	}
	return p.End(ctx, a.InstanceID, inst, a.State+" in xtraauth")
}

// Audit outcomes of approvals read "<state> <kind> #<id>" and then who and
// where, e.g. "approved dev_key #12 by admin on dingtalk".
func outcome(state string, a store.Approval, rest string) string {
	s := fmt.Sprintf("%s %s #%d", state, a.Kind, a.ID)
	if rest != "" {
		s += " " + rest
	}
	return s
}

// Decision is what an approval audit row says happened.
type Decision struct {
	State string
	Kind  string
	ID    int64
	Rest  string // who and where: "by admin on dingtalk"
}

// ParseOutcome reads an approval audit row's outcome; ok is false for an
// outcome not written by this package.
func ParseOutcome(s string) (d Decision, ok bool) {
	f := strings.Fields(s)
	if len(f) < 3 || !strings.HasPrefix(f[2], "#") {
		return Decision{}, false
	}
	id, err := strconv.ParseInt(f[2][1:], 10, 64)
	if err != nil || id <= 0 {
		return Decision{}, false
	}
	return Decision{State: f[0], Kind: f[1], ID: id, Rest: strings.Join(f[3:], " ")}, true
}
