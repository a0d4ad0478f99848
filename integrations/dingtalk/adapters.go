package dingtalk

import (
	"context"
	"errors"
	"fmt"

	"xtraauth/approval"
	"xtraauth/integrations/internal/kept"
	"xtraauth/notify"
	"xtraauth/store"
)

// processCodeKey names the process code of the template made by xtraauth
// in the settings table.
const processCodeKey = "dingtalk_process_code"

// formField is the template's one control.
const formField = "Request"

// Approvals runs xtraauth's approvals as DingTalk approval instances.
type Approvals struct {
	c           *Client
	processCode *kept.Code
}

var _ approval.Platform = (*Approvals)(nil)

// NewApprovals uses processCode, or when empty the template made once and
// kept in settings.
func NewApprovals(c *Client, processCode string, settings store.Settings) *Approvals {
	return &Approvals{c: c, processCode: kept.New(settings, processCodeKey, processCode, func(ctx context.Context) (string, error) {
		return c.CreateForm(ctx, "xtraauth", "Requests to xtraauth that need an admin", []string{formField})
	})}
}

// Name implements approval.Platform.
func (a *Approvals) Name() string { return "dingtalk" }

// Setup makes the template unless one is configured or kept.
func (a *Approvals) Setup(ctx context.Context) error { return a.processCode.Setup(ctx) }

// Submit implements approval.Platform.
func (a *Approvals) Submit(ctx context.Context, ap store.Approval, requester store.User, approvers []store.User) (string, error) {
	return a.processCode.Submit(ctx, a, requester, approvers, func(code, originator string, ids []string) (string, error) {
		return a.c.CreateInstance(ctx, code, originator, ids, []FormField{{Name: formField, Value: approval.Summary(ap)}})
	})
}

// Instance implements approval.Platform.
func (a *Approvals) Instance(ctx context.Context, id string) (approval.Instance, error) {
	inst, err := a.c.GetInstance(ctx, id)
	if err != nil {
		return approval.Instance{}, err
	}
	out := approval.Instance{Tasks: make([]approval.Task, len(inst.Tasks))}
	for i, t := range inst.Tasks {
		out.Tasks[i] = approval.Task{ID: t.TaskID, UserID: t.UserID, Pending: t.Status == "RUNNING", Outcome: t.Result}
	}
	switch {
	case inst.Status == "RUNNING":
		out.Status = approval.InstancePending
	case inst.Status == "TERMINATED":
		out.Status = approval.InstanceCanceled
	case inst.Status == "COMPLETED" && inst.Result == "agree":
		out.Status, out.DecidedBy = approval.InstanceApproved, approval.TaskUser(out.Tasks, "AGREE")
	case inst.Status == "COMPLETED" && inst.Result == "refuse":
		out.Status, out.DecidedBy = approval.InstanceRejected, approval.TaskUser(out.Tasks, "REFUSE")
	default:
		return approval.Instance{}, errors.New("dingtalk get instance: unknown status " + inst.Status + " " + inst.Result)
	}
	return out, nil
}

// DecideTask implements approval.Platform: the task is executed.
func (a *Approvals) DecideTask(ctx context.Context, id string, _ approval.Instance, t approval.Task, approve bool, remark string) error {
	return a.c.Execute(ctx, id, t.ID, t.UserID, approve, remark)
}

// End implements approval.Platform: the instance is terminated.
func (a *Approvals) End(ctx context.Context, id string, _ approval.Instance, reason string) error {
	return a.c.Terminate(ctx, id, reason)
}

// UserID implements approval.Platform: people are found by mobile.
func (a *Approvals) UserID(ctx context.Context, u store.User) (string, error) {
	return userID(ctx, a.c, u)
}

func userID(ctx context.Context, c *Client, u store.User) (string, error) {
	if u.Mobile == "" {
		return "", fmt.Errorf("dingtalk: the user has no mobile: %w", approval.ErrNoAccount)
	}
	id, err := c.UserIDByMobile(ctx, u.Mobile)
	if errors.Is(err, ErrNoUser) {
		return "", fmt.Errorf("%v: %w", err, approval.ErrNoAccount)
	}
	return id, err
}

// NewNotices sends work notices through c, whose Config names the agent,
// to people found by mobile.
func NewNotices(c *Client) notify.Channel {
	return notify.ToPerson{
		ID: func(ctx context.Context, u store.User) (string, error) { return userID(ctx, c, u) },
		Write: func(ctx context.Context, id, text string) error {
			return c.SendWorkNotice(ctx, []string{id}, text)
		},
	}
}
