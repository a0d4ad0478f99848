// Package feishu is the client of the Feishu calls xtraauth makes, through
// the official SDK (github.com/larksuite/oapi-sdk-go/v3): the tenant
// access token, users by mobile or email, the approval definition and
// instances, and messages. Only the SDK's approval, contact and im services
// are built, not its root client, which compiles every Feishu service.
//
// The SDK's own token cache is a package-level map keyed by app id; it is
// turned off here and each Client keeps its own token, on its own clock.
// The SDK's event dispatcher checks the verification token only on
// url_verification, so events are checked by ParseEvent instead.
package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkapproval "github.com/larksuite/oapi-sdk-go/v3/service/approval/v4"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// Config is the app and where its API is.
type Config struct {
	AppID, AppSecret, URL string
	Timeout               time.Duration
	Now                   func() time.Time
}

// Client calls Feishu with the app's tenant access token.
type Client struct {
	cfg      Config
	sdk      *larkcore.Config
	approval *larkapproval.V4
	contact  *larkcontact.V3
	im       *larkim.V1

	mu         sync.Mutex
	token      string
	tokenUntil time.Time
}

// New makes a Client; every call is bounded by cfg.Timeout.
func New(cfg Config) *Client {
	sdk := &larkcore.Config{
		BaseUrl: cfg.URL, AppId: cfg.AppID, AppSecret: cfg.AppSecret,
		AppType: larkcore.AppTypeSelfBuilt, EnableTokenCache: false,
		HttpClient: &http.Client{Timeout: cfg.Timeout},
		Logger:     quiet{}, LogLevel: larkcore.LogLevelError,
	}
	larkcore.NewLogger(sdk)
	larkcore.NewSerialization(sdk)
	return &Client{cfg: cfg, sdk: sdk,
		approval: larkapproval.New(sdk), contact: larkcontact.New(sdk), im: larkim.New(sdk)}
}

// quiet drops the SDK's log lines; failures reach callers as errors.
type quiet struct{}

func (quiet) Debug(context.Context, ...any) {}
func (quiet) Info(context.Context, ...any)  {}
func (quiet) Warn(context.Context, ...any)  {}
func (quiet) Error(context.Context, ...any) {}

const tokenMargin = 5 * time.Minute

// TenantAccessToken returns the app's token
// (POST /open-apis/auth/v3/tenant_access_token/internal).
func (c *Client) TenantAccessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.cfg.Now().Before(c.tokenUntil) {
		return c.token, nil
	}
	raw, err := larkcore.Request(ctx, &larkcore.ApiReq{
		HttpMethod: http.MethodPost, ApiPath: larkcore.TenantAccessTokenInternalUrlPath,
		Body:                      &larkcore.SelfBuiltTenantAccessTokenReq{AppID: c.cfg.AppID, AppSecret: c.cfg.AppSecret},
		SupportedAccessTokenTypes: []larkcore.AccessTokenType{larkcore.AccessTokenTypeNone},
	}, c.sdk)
	out := &larkcore.TenantAccessTokenResp{}
	if err == nil {
		err = raw.JSONUnmarshalBody(out, c.sdk)
	}
	if err != nil {
		return "", failed("tenant_access_token", err)
	}
	if raw.StatusCode != http.StatusOK || out.Code != 0 {
		return "", &APIError{Name: "tenant_access_token", Status: raw.StatusCode, Code: out.Code, Msg: out.Msg}
	}
	if out.TenantAccessToken == "" {
		return "", errors.New("feishu tenant_access_token: no token in the answer")
	}
	c.token = out.TenantAccessToken
	c.tokenUntil = c.cfg.Now().Add(time.Duration(out.Expire)*time.Second - tokenMargin)
	return c.token, nil
}

// Feishu codes of a token it no longer takes.
var tokenCodes = map[int]bool{99991663: true, 99991668: true, 99991661: true}

// auth is the request option carrying the token.
func (c *Client) auth(ctx context.Context) (larkcore.RequestOptionFunc, error) {
	token, err := c.TenantAccessToken(ctx)
	if err != nil {
		return nil, err
	}
	return larkcore.WithTenantAccessToken(token), nil
}

// APIError is a refusal by Feishu: a non-zero code or an HTTP error.
type APIError struct {
	Name   string
	Status int
	Code   int
	Msg    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("feishu %s: HTTP %d, code %d: %s", e.Name, e.Status, e.Code, e.Msg)
}

// failed is an SDK call that got no usable answer, short and on one line.
func failed(name string, err error) error {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return fmt.Errorf("feishu %s: %s", name, msg)
}

// refused checks an answer's status and code, and forgets a token Feishu
// no longer takes.
func (c *Client) refused(name string, raw *larkcore.ApiResp, ce larkcore.CodeError) error {
	if raw.StatusCode == http.StatusOK && ce.Code == 0 {
		return nil
	}
	if tokenCodes[ce.Code] || raw.StatusCode == http.StatusUnauthorized {
		c.mu.Lock()
		c.token = ""
		c.mu.Unlock()
	}
	return &APIError{Name: name, Status: raw.StatusCode, Code: ce.Code, Msg: ce.Msg}
}

// ErrNoUser: nobody on Feishu has that mobile or email.
var ErrNoUser = errors.New("feishu: no user with that mobile or email")

// UserID finds a user by mobile, else by email, in one call
// (POST /open-apis/contact/v3/users/batch_get_id?user_id_type=user_id).
func (c *Client) UserID(ctx context.Context, mobile, email string) (string, error) {
	body := &larkcontact.BatchGetIdUserReqBody{}
	if mobile != "" {
		body.Mobiles = []string{mobile}
	}
	if email != "" {
		body.Emails = []string{email}
	}
	if mobile == "" && email == "" {
		return "", ErrNoUser
	}
	opt, err := c.auth(ctx)
	if err != nil {
		return "", err
	}
	resp, err := c.contact.User.BatchGetId(ctx,
		larkcontact.NewBatchGetIdUserReqBuilder().UserIdType("user_id").Body(body).Build(), opt)
	if err != nil {
		return "", failed("batch_get_id", err)
	}
	if err := c.refused("batch_get_id", resp.ApiResp, resp.CodeError); err != nil {
		return "", err
	}
	if resp.Data != nil {
		for _, u := range resp.Data.UserList {
			if u != nil && u.UserId != nil && *u.UserId != "" {
				return *u.UserId, nil
			}
		}
	}
	return "", ErrNoUser
}

func ptr[T any](v T) *T { return &v }

// NodeID is the approval node of the definition xtraauth makes, whose
// approvers each instance names.
const NodeID = "xtraauth_admins"

// CreateApproval makes the approval definition
// (POST /open-apis/approval/v4/approvals): one text area, one node whose
// approvers the originator names, any one of whom decides.
func (c *Client) CreateApproval(ctx context.Context) (string, error) {
	texts := []*larkapproval.I18nResourceText{
		{Key: ptr("@i18n@xtraauth_name"), Value: ptr("xtraauth")},
		{Key: ptr("@i18n@xtraauth_request"), Value: ptr("Request")},
		{Key: ptr("@i18n@xtraauth_node"), Value: ptr("Super admins")},
	}
	body := &larkapproval.ApprovalCreate{
		ApprovalName: ptr("@i18n@xtraauth_name"),
		Viewers:      []*larkapproval.ApprovalCreateViewers{{ViewerType: ptr("NONE")}},
		Form: &larkapproval.ApprovalForm{FormContent: ptr(
			`[{"id":"request","type":"textarea","name":"@i18n@xtraauth_request","required":true}]`)},
		NodeList: []*larkapproval.ApprovalNode{
			{Id: ptr("START")},
			{Id: ptr(NodeID), Name: ptr("@i18n@xtraauth_node"), NodeType: ptr("OR"),
				Approver: []*larkapproval.ApprovalApproverCcer{{Type: ptr("Free")}}},
			{Id: ptr("END")},
		},
		I18nResources: []*larkapproval.I18nResource{{Locale: ptr("zh-CN"), IsDefault: ptr(true), Texts: texts}},
	}
	opt, err := c.auth(ctx)
	if err != nil {
		return "", err
	}
	resp, err := c.approval.Approval.Create(ctx,
		larkapproval.NewCreateApprovalReqBuilder().UserIdType("user_id").ApprovalCreate(body).Build(), opt)
	if err != nil {
		return "", failed("create approval", err)
	}
	if err := c.refused("create approval", resp.ApiResp, resp.CodeError); err != nil {
		return "", err
	}
	if resp.Data == nil || resp.Data.ApprovalCode == nil || *resp.Data.ApprovalCode == "" {
		return "", errors.New("feishu create approval: no approval_code in the answer")
	}
	return *resp.Data.ApprovalCode, nil
}

// Subscribe asks for the events of a definition's instances
// (POST /open-apis/approval/v4/approvals/{code}/subscribe).
func (c *Client) Subscribe(ctx context.Context, approvalCode string) error {
	opt, err := c.auth(ctx)
	if err != nil {
		return err
	}
	resp, err := c.approval.Approval.Subscribe(ctx,
		larkapproval.NewSubscribeApprovalReqBuilder().ApprovalCode(approvalCode).Build(), opt)
	if err != nil {
		return failed("subscribe", err)
	}
	return c.refused("subscribe", resp.ApiResp, resp.CodeError)
}

// CreateInstance starts an approval (POST /open-apis/approval/v4/instances)
// with the definition's one text area set to text and approvers on its
// node, and returns the instance code.
func (c *Client) CreateInstance(ctx context.Context, approvalCode, originator string, approvers []string, text string) (string, error) {
	form, err := json.Marshal([]map[string]string{{"id": "request", "type": "textarea", "value": text}})
	if err != nil {
		return "", err
	}
	body := &larkapproval.InstanceCreate{
		ApprovalCode: ptr(approvalCode), UserId: ptr(originator), Form: ptr(string(form)),
		NodeApproverUserIdList: []*larkapproval.NodeApprover{{Key: ptr(NodeID), Value: approvers}},
	}
	opt, err := c.auth(ctx)
	if err != nil {
		return "", err
	}
	resp, err := c.approval.Instance.Create(ctx, larkapproval.NewCreateInstanceReqBuilder().InstanceCreate(body).Build(), opt)
	if err != nil {
		return "", failed("create instance", err)
	}
	if err := c.refused("create instance", resp.ApiResp, resp.CodeError); err != nil {
		return "", err
	}
	if resp.Data == nil || resp.Data.InstanceCode == nil || *resp.Data.InstanceCode == "" {
		return "", errors.New("feishu create instance: no instance_code in the answer")
	}
	return *resp.Data.InstanceCode, nil
}

// Task is one approver's part of an instance.
type Task struct{ ID, UserID, Status string }

// Instance is what Feishu says of an approval instance.
type Instance struct {
	ApprovalCode string
	Originator   string
	Status       string // PENDING, APPROVED, REJECTED, CANCELED, DELETED
	Tasks        []Task
}

// GetInstance reads an instance (GET /open-apis/approval/v4/instances/{code}).
func (c *Client) GetInstance(ctx context.Context, code string) (Instance, error) {
	opt, err := c.auth(ctx)
	if err != nil {
		return Instance{}, err
	}
	resp, err := c.approval.Instance.Get(ctx,
		larkapproval.NewGetInstanceReqBuilder().InstanceId(code).UserIdType("user_id").Build(), opt)
	if err != nil {
		return Instance{}, failed("get instance", err)
	}
	if err := c.refused("get instance", resp.ApiResp, resp.CodeError); err != nil {
		return Instance{}, err
	}
	d := resp.Data
	if d == nil || d.Status == nil {
		return Instance{}, errors.New("feishu get instance: no status in the answer")
	}
	inst := Instance{ApprovalCode: deref(d.ApprovalCode), Originator: deref(d.UserId), Status: *d.Status}
	for _, t := range d.TaskList {
		if t != nil {
			inst.Tasks = append(inst.Tasks, Task{ID: deref(t.Id), UserID: deref(t.UserId), Status: deref(t.Status)})
		}
	}
	return inst, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// DecideTask approves or rejects one task
// (POST /open-apis/approval/v4/tasks/approve or /reject).
func (c *Client) DecideTask(ctx context.Context, approvalCode, instanceCode, taskID, userID string, approve bool, comment string) error {
	body := &larkapproval.TaskApprove{ApprovalCode: ptr(approvalCode), InstanceCode: ptr(instanceCode),
		TaskId: ptr(taskID), UserId: ptr(userID), Comment: ptr(comment)}
	opt, err := c.auth(ctx)
	if err != nil {
		return err
	}
	if approve {
		resp, err := c.approval.Task.Approve(ctx, larkapproval.NewApproveTaskReqBuilder().UserIdType("user_id").TaskApprove(body).Build(), opt)
		if err != nil {
			return failed("approve task", err)
		}
		return c.refused("approve task", resp.ApiResp, resp.CodeError)
	}
	resp, err := c.approval.Task.Reject(ctx, larkapproval.NewRejectTaskReqBuilder().UserIdType("user_id").TaskApprove(body).Build(), opt)
	if err != nil {
		return failed("reject task", err)
	}
	return c.refused("reject task", resp.ApiResp, resp.CodeError)
}

// CancelInstance withdraws an instance as its originator
// (POST /open-apis/approval/v4/instances/cancel).
func (c *Client) CancelInstance(ctx context.Context, approvalCode, instanceCode, originator string) error {
	opt, err := c.auth(ctx)
	if err != nil {
		return err
	}
	resp, err := c.approval.Instance.Cancel(ctx, larkapproval.NewCancelInstanceReqBuilder().UserIdType("user_id").
		InstanceCancel(&larkapproval.InstanceCancel{ApprovalCode: ptr(approvalCode), InstanceCode: ptr(instanceCode),
			UserId: ptr(originator)}).Build(), opt)
	if err != nil {
		return failed("cancel instance", err)
	}
	return c.refused("cancel instance", resp.ApiResp, resp.CodeError)
}

// SendText sends a text message to a user
// (POST /open-apis/im/v1/messages?receive_id_type=user_id).
func (c *Client) SendText(ctx context.Context, userID, text string) error {
	content, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return err
	}
	opt, err := c.auth(ctx)
	if err != nil {
		return err
	}
	resp, err := c.im.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("user_id").
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId(userID).MsgType("text").Content(string(content)).Build()).Build(), opt)
	if err != nil {
		return failed("send message", err)
	}
	return c.refused("send message", resp.ApiResp, resp.CodeError)
}
