package approval

import (
	"context"
	"errors"

	"xtraauth/store"
)

// Instance states, as a platform's instance reports them.
const (
	InstancePending  = "pending"
	InstanceApproved = "approved"
	InstanceRejected = "rejected"
	InstanceCanceled = "canceled" // withdrawn, terminated or deleted on the platform
)

// ErrNoAccount: the person has no account on the platform that their
// mobile or email finds.
var ErrNoAccount = errors.New("no account on the platform")

// Instance is what a platform says of one approval instance.
type Instance struct {
	Status    string
	DecidedBy string // the platform user id of the task that decided, if any
	Tasks     []Task // its approvers' tasks
	// What Feishu needs besides the id to act on an instance.
	Definition, Originator string
}

// Platform is where approvals are decided besides the web page: DingTalk
// or Feishu. Implementations are thin clients of the platform's API.
type Platform interface {
	Name() string
	// Submit opens an instance for a, with approvers as its approvers and
	// the requester as its originator when found; it returns the
	// instance's id.
	Submit(ctx context.Context, a store.Approval, requester store.User, approvers []store.User) (string, error)
	// Instance reads an instance.
	Instance(ctx context.Context, id string) (Instance, error)
	// DecideTask settles the pending task t of the instance id in the name
	// of its user.
	DecideTask(ctx context.Context, id string, inst Instance, t Task, approve bool, remark string) error
	// End closes the pending instance id (terminates or cancels it), for
	// the reason given.
	End(ctx context.Context, id string, inst Instance, reason string) error
	// UserID finds u's platform user id; ErrNoAccount when none.
	UserID(ctx context.Context, u store.User) (string, error)
}
