// Package coding files security incidents as issues in a Coding project
// through Coding's Open API (POST /open-api?Action=...), with a personal
// access token.
package coding

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"xtraauth/integrations/internal/call"
	"xtraauth/notify"
	"xtraauth/store"
)

// Config is where the issues go.
type Config struct {
	URL, Token, Project string
	Timeout             time.Duration
}

// Client implements notify.Channel: each message becomes a DEFECT issue.
type Client struct {
	cfg  Config
	http *http.Client
}

var _ notify.Channel = (*Client)(nil)

// New makes a Client; every call is bounded by cfg.Timeout.
func New(cfg Config) *Client { return &Client{cfg: cfg, http: &http.Client{Timeout: cfg.Timeout}} }

// answer is the Open API's envelope.
type answer struct {
	Response struct {
		RequestID string `json:"RequestId"`
		Error     *struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"Error"`
		Issue *struct {
			Code int64 `json:"Code"`
		} `json:"Issue"`
		User *struct {
			ID int64 `json:"Id"`
		} `json:"User"`
	} `json:"Response"`
}

func (c *Client) action(ctx context.Context, action string, body map[string]any) (answer, error) {
	body["Action"] = action
	var out answer
	err := call.JSON(ctx, c.http, call.Request{Name: "coding " + action, Method: http.MethodPost,
		URL: c.cfg.URL + "/open-api?Action=" + action, Header: http.Header{"Authorization": {"token " + c.cfg.Token}},
		Body: body}, &out)
	if e := out.Response.Error; e != nil {
		return out, fmt.Errorf("coding %s: %s: %s", action, e.Code, e.Message)
	}
	return out, err
}

// Send implements notify.Channel: an issue named by the title.
func (c *Client) Send(ctx context.Context, _ store.User, msg notify.Message) error {
	out, err := c.action(ctx, "CreateIssue", map[string]any{"ProjectName": c.cfg.Project, "Type": "DEFECT",
		"Name": msg.Title, "Priority": msg.Priority, "Description": msg.Text})
	if err == nil && out.Response.Issue == nil {
		return fmt.Errorf("coding CreateIssue: no Issue in the answer")
	}
	return err
}

// Check reads the token's user (DescribeCodingCurrentUser).
func (c *Client) Check(ctx context.Context) error {
	out, err := c.action(ctx, "DescribeCodingCurrentUser", map[string]any{})
	if err == nil && out.Response.User == nil {
		return fmt.Errorf("coding DescribeCodingCurrentUser: no User in the answer")
	}
	return err
}
