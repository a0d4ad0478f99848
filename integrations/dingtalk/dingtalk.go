// Package dingtalk is a small client of the DingTalk calls xtraauth makes:
// the app's access token, users by mobile, the approval template and
// instances, and work notices. It is plain net/http: DingTalk's official Go
// SDK covers only the v1.0 API (getbymobile and work notices are old-style
// oapi calls it lacks) and pulls in some seventy modules.
//
// Client implements approval.Platform (Approvals) and notify.Channel
// (Notices) on top of these calls.
package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"xtraauth/integrations/internal/call"
)

// Config is the app and where its APIs are.
type Config struct {
	AppKey, AppSecret, AgentID string
	APIURL, OAPIURL            string
	Timeout                    time.Duration
	Now                        func() time.Time
}

// Client calls DingTalk with the app's access token, fetched once and kept
// until shortly before it expires.
type Client struct {
	cfg  Config
	http *http.Client

	mu         sync.Mutex
	token      string
	tokenUntil time.Time
}

// New makes a Client; every call is bounded by cfg.Timeout.
func New(cfg Config) *Client {
	return &Client{cfg: cfg, http: &http.Client{Timeout: cfg.Timeout}}
}

// tokenMargin is how long before its expiry a token is replaced.
const tokenMargin = 5 * time.Minute

// AccessToken returns the app's access token (POST /v1.0/oauth2/accessToken).
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.cfg.Now().Before(c.tokenUntil) {
		return c.token, nil
	}
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
		Code        string `json:"code"`
		Message     string `json:"message"`
	}
	err := call.JSON(ctx, c.http, call.Request{Name: "dingtalk accessToken", Method: http.MethodPost,
		URL: c.cfg.APIURL + "/v1.0/oauth2/accessToken", Body: map[string]string{"appKey": c.cfg.AppKey, "appSecret": c.cfg.AppSecret},
	}, &out)
	if err != nil {
		return "", explain(err, out.Code, out.Message)
	}
	if out.AccessToken == "" {
		return "", errors.New("dingtalk accessToken: no token in the answer")
	}
	c.token = out.AccessToken
	c.tokenUntil = c.cfg.Now().Add(time.Duration(out.ExpireIn)*time.Second - tokenMargin)
	return c.token, nil
}

// forget drops a token the platform no longer takes.
func (c *Client) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = ""
}

// explain adds the platform's own code and message to a failed call.
func explain(err error, code, message string) error {
	if code == "" && message == "" {
		return err
	}
	var se *call.StatusError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: HTTP %d: %s %s", se.Name, se.Status, code, message)
	}
	return err
}

// v1 calls the v1.0 API with the token in its header. A refused token is
// forgotten, so the next call fetches a new one.
func (c *Client) v1(ctx context.Context, name, method, path string, body, out any) error {
	token, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	var failure struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	err = call.JSON(ctx, c.http, call.Request{Name: "dingtalk " + name, Method: method, URL: c.cfg.APIURL + path,
		Header: http.Header{"X-Acs-Dingtalk-Access-Token": {token}}, Body: body}, out)
	var se *call.StatusError
	if errors.As(err, &se) {
		_ = json.Unmarshal([]byte(se.Body), &failure)
		if se.Status == http.StatusUnauthorized {
			c.forget()
		}
	}
	return explain(err, failure.Code, failure.Message)
}

// oapiResult is the envelope of the old API.
type oapiResult struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Old-API error codes xtraauth tells apart.
const (
	errNoSuchMobile  = 60121
	errTokenInvalid  = 40014
	errTokenExpired  = 42001
	errTokenRequired = 41001
)

// OAPIError is a refusal of the old API.
type OAPIError struct {
	Name string
	Code int
	Msg  string
}

func (e *OAPIError) Error() string { return fmt.Sprintf("%s: errcode %d: %s", e.Name, e.Code, e.Msg) }

// oapi calls the old API with the token in the query; out must embed
// oapiResult's fields through result.
func (c *Client) oapi(ctx context.Context, name, path string, body any, out any, result *oapiResult) error {
	token, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	err = call.JSON(ctx, c.http, call.Request{Name: "dingtalk " + name, Method: http.MethodPost,
		URL: c.cfg.OAPIURL + path + "?access_token=" + url.QueryEscape(token), Body: body}, out)
	if err != nil {
		return err
	}
	switch result.ErrCode {
	case 0:
		return nil
	case errTokenInvalid, errTokenExpired, errTokenRequired:
		c.forget()
	}
	return &OAPIError{Name: "dingtalk " + name, Code: result.ErrCode, Msg: result.ErrMsg}
}

// UserIDByMobile finds a user (POST /topapi/v2/user/getbymobile);
// ErrNoUser when nobody has that mobile.
func (c *Client) UserIDByMobile(ctx context.Context, mobile string) (string, error) {
	var out struct {
		oapiResult
		Result struct {
			UserID string `json:"userid"`
		} `json:"result"`
	}
	err := c.oapi(ctx, "getbymobile", "/topapi/v2/user/getbymobile", map[string]string{"mobile": mobile}, &out, &out.oapiResult)
	var oe *OAPIError
	if errors.As(err, &oe) && oe.Code == errNoSuchMobile {
		return "", ErrNoUser
	}
	if err == nil && out.Result.UserID == "" {
		return "", errors.New("dingtalk getbymobile: no userid in the answer")
	}
	return out.Result.UserID, err
}

// ErrNoUser: no DingTalk user has the mobile asked for.
var ErrNoUser = errors.New("dingtalk: no user with that mobile")

// FormField is one control of the approval template and its value.
type FormField struct{ Name, Value string }

// CreateForm makes the approval template (POST /v1.0/workflow/forms) with
// one text area per field and returns its process code.
func (c *Client) CreateForm(ctx context.Context, name, description string, fields []string) (string, error) {
	components := make([]map[string]any, len(fields))
	for i, f := range fields {
		components[i] = map[string]any{"componentType": "TextareaField", "props": map[string]any{
			"componentId": fmt.Sprintf("TextareaField_%d", i+1), "label": f, "required": true}}
	}
	var out struct {
		Result struct {
			ProcessCode string `json:"processCode"`
		} `json:"result"`
	}
	err := c.v1(ctx, "create form", http.MethodPost, "/v1.0/workflow/forms",
		map[string]any{"name": name, "description": description, "formComponents": components}, &out)
	if err == nil && out.Result.ProcessCode == "" {
		return "", errors.New("dingtalk create form: no processCode in the answer")
	}
	return out.Result.ProcessCode, err
}

// CreateInstance starts an approval (POST /v1.0/workflow/processInstances)
// that any one of approvers may decide, and returns its id.
func (c *Client) CreateInstance(ctx context.Context, processCode, originator string, approvers []string, form []FormField) (string, error) {
	values := make([]map[string]string, len(form))
	for i, f := range form {
		values[i] = map[string]string{"name": f.Name, "value": f.Value}
	}
	var out struct {
		InstanceID string `json:"instanceId"`
	}
	err := c.v1(ctx, "create instance", http.MethodPost, "/v1.0/workflow/processInstances", map[string]any{
		"processCode": processCode, "originatorUserId": originator,
		"approvers":           []map[string]any{{"actionType": "OR", "userIds": approvers}},
		"formComponentValues": values,
	}, &out)
	if err == nil && out.InstanceID == "" {
		return "", errors.New("dingtalk create instance: no instanceId in the answer")
	}
	return out.InstanceID, err
}

// Task is one approver's part of an instance.
type Task struct {
	TaskID string
	UserID string
	Status string // RUNNING, COMPLETED, CANCELED...
	Result string // AGREE, REFUSE, NONE...
}

// Instance is what DingTalk says of an approval instance.
type Instance struct {
	Status string // RUNNING, COMPLETED, TERMINATED
	Result string // agree, refuse
	Tasks  []Task
}

// GetInstance reads an instance (GET /v1.0/workflow/processInstances).
func (c *Client) GetInstance(ctx context.Context, id string) (Instance, error) {
	var out struct {
		Result struct {
			Status string `json:"status"`
			Result string `json:"result"`
			Tasks  []struct {
				TaskID json.Number `json:"taskId"`
				UserID string      `json:"userId"`
				Status string      `json:"status"`
				Result string      `json:"result"`
			} `json:"tasks"`
		} `json:"result"`
	}
	err := c.v1(ctx, "get instance", http.MethodGet, "/v1.0/workflow/processInstances?processInstanceId="+url.QueryEscape(id), nil, &out)
	if err != nil {
		return Instance{}, err
	}
	if out.Result.Status == "" {
		return Instance{}, errors.New("dingtalk get instance: no status in the answer")
	}
	inst := Instance{Status: strings.ToUpper(out.Result.Status), Result: strings.ToLower(out.Result.Result)}
	for _, t := range out.Result.Tasks {
		inst.Tasks = append(inst.Tasks, Task{TaskID: t.TaskID.String(), UserID: t.UserID,
			Status: strings.ToUpper(t.Status), Result: strings.ToUpper(t.Result)})
	}
	return inst, nil
}

// Execute decides one task (POST /v1.0/workflow/processInstances/execute).
func (c *Client) Execute(ctx context.Context, instanceID, taskID, actioner string, agree bool, remark string) error {
	result := "refuse"
	if agree {
		result = "agree"
	}
	task, err := json.Number(taskID).Int64()
	if err != nil {
		return fmt.Errorf("dingtalk execute: task id %q is not a number", taskID)
	}
	var out struct {
		Result bool `json:"result"`
	}
	return c.v1(ctx, "execute", http.MethodPost, "/v1.0/workflow/processInstances/execute", map[string]any{
		"processInstanceId": instanceID, "taskId": task, "actionerUserId": actioner, "result": result, "remark": remark,
	}, &out)
}

// Terminate ends an instance as the system (POST
// /v1.0/workflow/processInstances/terminate).
func (c *Client) Terminate(ctx context.Context, instanceID, remark string) error {
	var out struct {
		Result bool `json:"result"`
	}
	return c.v1(ctx, "terminate", http.MethodPost, "/v1.0/workflow/processInstances/terminate", map[string]any{
		"processInstanceId": instanceID, "isSystem": true, "remark": remark,
	}, &out)
}

// SendWorkNotice sends a text work notice to users (POST
// /topapi/message/corpconversation/asyncsend_v2).
func (c *Client) SendWorkNotice(ctx context.Context, userIDs []string, text string) error {
	var out struct {
		oapiResult
		TaskID int64 `json:"task_id"`
	}
	return c.oapi(ctx, "work notice", "/topapi/message/corpconversation/asyncsend_v2", map[string]any{
		"agent_id": json.Number(c.cfg.AgentID), "userid_list": strings.Join(userIDs, ","),
		"msg": map[string]any{"msgtype": "text", "text": map[string]string{"content": text}},
	}, &out, &out.oapiResult)
}
