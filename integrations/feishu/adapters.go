package feishu

import (
	"context"
	"errors"

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
	switch inst.Status {
	case "PENDING":
		return approval.Instance{Status: approval.InstancePending}, nil
	case "APPROVED":
		return approval.Instance{Status: approval.InstanceApproved, DecidedBy: approval.TaskUser(tasks(inst), "APPROVED")}, nil
	case "REJECTED":
		return approval.Instance{Status: approval.InstanceRejected, DecidedBy: approval.TaskUser(tasks(inst), "REJECTED")}, nil
	case "CANCELED", "DELETED":
		return approval.Instance{Status: approval.InstanceCanceled}, nil
	}
	return approval.Instance{}, errors.New("feishu get instance: unknown status " + inst.Status)
}

func tasks(inst Instance) []approval.Task {
	out := make([]approval.Task, len(inst.Tasks))
	for i, t := range inst.Tasks {
		out[i] = approval.Task{ID: t.ID, UserID: t.UserID, Pending: t.Status == "PENDING", Outcome: t.Status}
	}
	return out
}

// Mirror implements approval.Platform: the deciding admin's own task is
// approved or rejected when they are on Feishu, else the instance is
// cancelled in its originator's name.
func (a *Approvals) Mirror(ctx context.Context, ap store.Approval, by store.User) error {
	inst, err := a.c.GetInstance(ctx, ap.InstanceID)
	if err != nil || inst.Status != "PENDING" {
		return err
	}
	return approval.Mirror(ctx, a, ap, by, tasks(inst), func(t approval.Task, uid string) error {
		return a.c.DecideTask(ctx, inst.ApprovalCode, ap.InstanceID, t.ID, uid, ap.State == store.ApprovalApproved, ap.Remark)
	}, func() error {
		return a.c.CancelInstance(ctx, inst.ApprovalCode, ap.InstanceID, inst.Originator)
	})
}

// UserID implements approval.Platform: people are found by mobile, else email.
func (a *Approvals) UserID(ctx context.Context, u store.User) (string, error) {
	id, err := a.c.UserID(ctx, u.Mobile, u.Email)
	if errors.Is(err, ErrNoUser) {
		return "", approval.ErrNoAccount
	}
	return id, err
}

// Messages sends text messages to people, found by mobile or email.
type Messages struct{ c *Client }

var _ notify.Channel = Messages{}

// NewMessages sends through c.
func NewMessages(c *Client) Messages { return Messages{c: c} }

// Send implements notify.Channel.
func (m Messages) Send(ctx context.Context, to store.User, msg notify.Message) error {
	id, err := m.c.UserID(ctx, to.Mobile, to.Email)
	if errors.Is(err, ErrNoUser) {
		return notify.Permanent(err)
	}
	if err != nil {
		return err
	}
	return m.c.SendText(ctx, id, msg.Title+"\n"+msg.Text)
}
