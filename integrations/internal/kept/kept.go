// Package kept holds the code of something xtraauth makes once on a
// platform (DingTalk's approval template, Feishu's approval definition):
// configured, or made the first time it is needed and kept in the settings
// table for every process and restart.
package kept

import (
	"context"
	"errors"
	"sync"

	"xtraauth/approval"
	"xtraauth/store"
)

// Code is one such code.
type Code struct {
	settings store.Settings
	key      string
	create   func(ctx context.Context) (string, error)

	mu   sync.Mutex
	code string
}

// New keeps the code under key; configured, when set, is used as it is.
func New(settings store.Settings, key, configured string, create func(ctx context.Context) (string, error)) *Code {
	return &Code{settings: settings, key: key, create: create, code: configured}
}

// Get returns the code, making the object the first time. Only the process
// holding the worker's lease submits approvals, so one object is made;
// should two be, the settings table keeps one code.
func (c *Code) Get(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.code != "" {
		return c.code, nil
	}
	code, err := c.settings.Setting(ctx, c.key)
	if errors.Is(err, store.ErrNotFound) {
		var made string
		if made, err = c.create(ctx); err != nil {
			return "", err
		}
		code, err = c.settings.GetOrCreateSetting(ctx, c.key, made)
	}
	if err != nil {
		return "", err
	}
	c.code = code
	return code, nil
}

// Setup makes the object unless its code is configured or kept.
func (c *Code) Setup(ctx context.Context) error {
	_, err := c.Get(ctx)
	return err
}

// Submit opens an approval instance on the object: create makes it with
// the code, the originator and the approvers' ids on the platform.
func (c *Code) Submit(ctx context.Context, p approval.UserIDer, requester store.User, approvers []store.User,
	create func(code, originator string, approverIDs []string) (string, error)) (string, error) {
	code, err := c.Get(ctx)
	if err != nil {
		return "", err
	}
	originator, ids, err := approval.Participants(ctx, p, requester, approvers)
	if err != nil {
		return "", err
	}
	return create(code, originator, ids)
}
