package dingtalk

import (
	"context"
	"errors"

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
	switch {
	case inst.Status == "RUNNING":
		return approval.Instance{Status: approval.InstancePending}, nil
	case inst.Status == "TERMINATED":
		return approval.Instance{Status: approval.InstanceCanceled}, nil
	case inst.Status == "COMPLETED" && inst.Result == "agree":
		return approval.Instance{Status: approval.InstanceApproved, DecidedBy: approval.TaskUser(tasks(inst), "AGREE")}, nil
	case inst.Status == "COMPLETED" && inst.Result == "refuse":
		return approval.Instance{Status: approval.InstanceRejected, DecidedBy: approval.TaskUser(tasks(inst), "REFUSE")}, nil
	}
	return approval.Instance{}, errors.New("dingtalk get instance: unknown status " + inst.Status + " " + inst.Result)
}

func tasks(inst Instance) []approval.Task {
	out := make([]approval.Task, len(inst.Tasks))
	for i, t := range inst.Tasks {
		out[i] = approval.Task{ID: t.TaskID, UserID: t.UserID, Pending: t.Status == "RUNNING", Outcome: t.Result}
	}
	return out
}

// Mirror implements approval.Platform: the deciding admin's own task is
// executed when they are on DingTalk, else the instance is terminated.
func (a *Approvals) Mirror(ctx context.Context, ap store.Approval, by store.User) error {
	inst, err := a.c.GetInstance(ctx, ap.InstanceID)
	if err != nil || inst.Status != "RUNNING" {
		return err
	}
	return approval.Mirror(ctx, a, ap, by, tasks(inst), func(t approval.Task, uid string) error {
		return a.c.Execute(ctx, ap.InstanceID, t.ID, uid, ap.State == store.ApprovalApproved, ap.Remark)
	}, func() error {
		return a.c.Terminate(ctx, ap.InstanceID, ap.State+" in xtraauth")
	})
}

// UserID implements approval.Platform: people are found by mobile.
func (a *Approvals) UserID(ctx context.Context, u store.User) (string, error) {
	if u.Mobile == "" {
		return "", approval.ErrNoAccount
	}
	id, err := a.c.UserIDByMobile(ctx, u.Mobile)
	if errors.Is(err, ErrNoUser) {
		return "", approval.ErrNoAccount
	}
	return id, err
}

// Notices sends work notices to people, found by mobile.
type Notices struct{ c *Client }

var _ notify.Channel = Notices{}

// NewNotices sends through c, whose Config names the agent.
func NewNotices(c *Client) Notices { return Notices{c: c} }

// Send implements notify.Channel.
func (n Notices) Send(ctx context.Context, to store.User, msg notify.Message) error {
	if to.Mobile == "" {
		return notify.Permanent(errors.New("dingtalk: the user has no mobile"))
	}
	id, err := n.c.UserIDByMobile(ctx, to.Mobile)
	if errors.Is(err, ErrNoUser) {
		return notify.Permanent(err)
	}
	if err != nil {
		return err
	}
	return n.c.SendWorkNotice(ctx, []string{id}, msg.Title+"\n"+msg.Text)
}
