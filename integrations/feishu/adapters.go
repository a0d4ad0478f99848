package feishu

import (
	"context"
	"errors"
	"fmt"

	"xtraauth/approval"
	"xtraauth/integrations/internal/kept"
	"xtraauth/notify"
	"xtraauth/store"
)

// approvalCodeKey names the code of the definition made by xtraauth in the
// settings table.
const approvalCodeKey = "feishu_approval_code"

// Approvals runs xtraauth's approvals as Feishu approval instances.
type Approvals struct {
	c    *Client
	code *kept.Code
}

var _ approval.Platform = (*Approvals)(nil)

// NewApprovals uses approvalCode, or when empty the definition made (and
// subscribed to) once and kept in settings.
func NewApprovals(c *Client, approvalCode string, settings store.Settings) *Approvals {
	return &Approvals{c: c, code: kept.New(settings, approvalCodeKey, approvalCode, func(ctx context.Context) (string, error) {
		made, err := c.CreateApproval(ctx)
		if err != nil {
			return "", err
		}
		return made, c.Subscribe(ctx, made)
	})}
}

// Name implements approval.Platform.
func (a *Approvals) Name() string { return "feishu" }

// Setup makes the definition unless one is configured or kept.
func (a *Approvals) Setup(ctx context.Context) error { return a.code.Setup(ctx) }

// Submit implements approval.Platform.
func (a *Approvals) Submit(ctx context.Context, ap store.Approval, requester store.User, approvers []store.User) (string, error) {
	return a.code.Submit(ctx, a, requester, approvers, func(code, originator string, ids []string) (string, error) {
		return a.c.CreateInstance(ctx, code, originator, ids, approval.Summary(ap))
	})
}

// Instance implements approval.Platform.
func (a *Approvals) Instance(ctx context.Context, id string) (approval.Instance, error) {
	inst, err := a.c.GetInstance(ctx, id)
	if err != nil {
		return approval.Instance{}, err
	}
	out := approval.Instance{Tasks: make([]approval.Task, len(inst.Tasks)),
		Definition: inst.ApprovalCode, Originator: inst.Originator}
	for i, t := range inst.Tasks {
		out.Tasks[i] = approval.Task{ID: t.ID, UserID: t.UserID, Pending: t.Status == "PENDING", Outcome: t.Status}
	}
	switch inst.Status {
	case "PENDING":
		out.Status = approval.InstancePending
	case "APPROVED":
		out.Status, out.DecidedBy = approval.InstanceApproved, approval.TaskUser(out.Tasks, "APPROVED")
	case "REJECTED":
		out.Status, out.DecidedBy = approval.InstanceRejected, approval.TaskUser(out.Tasks, "REJECTED")
	case "CANCELED", "DELETED":
		out.Status = approval.InstanceCanceled
	default:
		return approval.Instance{}, errors.New("feishu get instance: unknown status " + inst.Status)
	}
	return out, nil
}

// DecideTask implements approval.Platform: the task is approved or
// rejected.
func (a *Approvals) DecideTask(ctx context.Context, id string, inst approval.Instance, t approval.Task, approve bool, remark string) error {
	return a.c.DecideTask(ctx, inst.Definition, id, t.ID, t.UserID, approve, remark)
}

// End implements approval.Platform: the instance is cancelled in its
// originator's name (Feishu has no termination by others).
func (a *Approvals) End(ctx context.Context, id string, inst approval.Instance, _ string) error {
	return a.c.CancelInstance(ctx, inst.Definition, id, inst.Originator)
}

// UserID implements approval.Platform: people are found by mobile, else email.
func (a *Approvals) UserID(ctx context.Context, u store.User) (string, error) {
	return userID(ctx, a.c, u)
}

func userID(ctx context.Context, c *Client, u store.User) (string, error) {
	id, err := c.UserID(ctx, u.Mobile, u.Email)
	if errors.Is(err, ErrNoUser) {
		return "", fmt.Errorf("%v: %w", err, approval.ErrNoAccount)
	}
	return id, err
}

// NewMessages sends text messages through c to people found by mobile or
// email.
func NewMessages(c *Client) notify.Channel {
	return notify.ToPerson{
		ID:    func(ctx context.Context, u store.User) (string, error) { return userID(ctx, c, u) },
		Write: c.SendText,
	}
}
