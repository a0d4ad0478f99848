package notify

import (
	"context"
	"errors"

	"xtraauth/approval"
	"xtraauth/store"
)

// Channel names, as GET /api/integrations and the metrics show them.
const (
	DingTalk      = "dingtalk"       // work notices to a person
	Feishu        = "feishu"         // messages to a person
	DingTalkRobot = "dingtalk_robot" // a group robot, for admins
	FeishuRobot   = "feishu_robot"   // a group robot, for admins
	Coding        = "coding"         // issues, for security incidents
)

// Message is what a channel delivers. It never holds a password, token,
// dev_key, captcha answer or secret: it is made from audit rows, which
// hold none.
type Message struct {
	Title    string
	Text     string
	Priority string // Coding's issue priority; others ignore it
}

// Channel is one outside system messages go to (Authelia's Notifier).
type Channel interface {
	// Send delivers msg. to is the person a personal channel writes to
	// (found on the platform by mobile or email); robots and Coding get
	// the zero user. A *PermanentError means retrying cannot help.
	Send(ctx context.Context, to store.User, msg Message) error
}

// ToPerson is a channel that writes to people on a platform: ID finds a
// person's platform id (approval.ErrNoAccount when they have none, which
// no retry mends) and Write sends that id a text.
type ToPerson struct {
	ID    func(ctx context.Context, u store.User) (string, error)
	Write func(ctx context.Context, id, text string) error
}

// Send implements Channel.
func (p ToPerson) Send(ctx context.Context, to store.User, msg Message) error {
	id, err := p.ID(ctx, to)
	if errors.Is(err, approval.ErrNoAccount) {
		return Permanent(err)
	}
	if err != nil {
		return err
	}
	return p.Write(ctx, id, msg.Title+"\n"+msg.Text)
}

// PermanentError is a failure no retry can mend, such as a person with no
// account on the platform.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as one no retry can mend.
func Permanent(err error) error { return &PermanentError{Err: err} }

func isPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
