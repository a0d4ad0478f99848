package platformtest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"xtraauth/integrations/feishu"
)

// Feishu fakes the Feishu open APIs xtraauth calls, and sends event
// callbacks as Feishu does.
type Feishu struct {
	fake
	AppID, AppSecret              string
	VerificationToken, EncryptKey string

	token      string
	users      []FeishuUser
	approvals  map[string]bool // code → subscribed
	instances  map[string]*FeishuInstance
	order      []string
	messages   []FeishuMessage
	nextTaskID int
}

// FeishuUser is a member of the fake's tenant.
type FeishuUser struct{ UserID, Mobile, Email string }

// FeishuInstance is an approval instance the fake keeps.
type FeishuInstance struct {
	Code, ApprovalCode, Originator string
	Approvers                      []string
	Form                           string
	Status                         string // PENDING, APPROVED, REJECTED, CANCELED
	Tasks                          []FeishuTask
}

// FeishuTask is one approver's task.
type FeishuTask struct{ ID, UserID, Status string }

// FeishuMessage is a message received.
type FeishuMessage struct{ UserID, Text string }

// NewFeishu starts a fake. appID should differ between tests that run at
// once, as real apps do.
func NewFeishu(t testing.TB, appID string) *Feishu {
	f := &Feishu{AppID: appID, AppSecret: randomID("fs-secret-"), VerificationToken: randomID("vt-"),
		EncryptKey: randomID("ek-"), token: randomID("t-"), approvals: map[string]bool{},
		instances: map[string]*FeishuInstance{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", f.tenantToken)
	mux.HandleFunc("POST /open-apis/contact/v3/users/batch_get_id", f.authed(f.batchGetID))
	mux.HandleFunc("POST /open-apis/approval/v4/approvals", f.authed(f.createApproval))
	mux.HandleFunc("POST /open-apis/approval/v4/approvals/{code}/subscribe", f.authed(f.subscribe))
	mux.HandleFunc("POST /open-apis/approval/v4/instances", f.authed(f.createInstance))
	mux.HandleFunc("GET /open-apis/approval/v4/instances/{code}", f.authed(f.getInstance))
	mux.HandleFunc("POST /open-apis/approval/v4/instances/cancel", f.authed(f.cancel))
	mux.HandleFunc("POST /open-apis/approval/v4/tasks/approve", f.authed(f.decideTask("APPROVED")))
	mux.HandleFunc("POST /open-apis/approval/v4/tasks/reject", f.authed(f.decideTask("REJECTED")))
	mux.HandleFunc("POST /open-apis/im/v1/messages", f.authed(f.message))
	f.start(t, mux)
	return f
}

// AddUser puts a member in the fake's tenant.
func (f *Feishu) AddUser(u FeishuUser) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users = append(f.users, u)
}

// Decide approves or rejects userID's pending task, as the approver would
// in the Feishu app.
func (f *Feishu) Decide(code, userID string, approve bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	inst := f.instances[code]
	if inst == nil {
		return fmt.Errorf("no instance %s", code)
	}
	for i, t := range inst.Tasks {
		if t.UserID == userID && t.Status == "PENDING" {
			f.complete(inst, i, approve)
			return nil
		}
	}
	return fmt.Errorf("%s has no pending task in %s", userID, code)
}

func (f *Feishu) complete(inst *FeishuInstance, i int, approve bool) {
	status := map[bool]string{true: "APPROVED", false: "REJECTED"}[approve]
	for j := range inst.Tasks {
		inst.Tasks[j].Status = "DONE"
	}
	inst.Tasks[i].Status, inst.Status = status, status
}

// Instances returns copies of the instances, oldest first.
func (f *Feishu) Instances() []FeishuInstance {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FeishuInstance, len(f.order))
	for i, code := range f.order {
		out[i] = *f.instances[code]
		out[i].Tasks = append([]FeishuTask(nil), f.instances[code].Tasks...)
	}
	return out
}

// Subscribed reports whether an approval definition exists and is
// subscribed to.
func (f *Feishu) Subscribed(code string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.approvals[code]
}

// Messages returns the messages received.
func (f *Feishu) Messages() []FeishuMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FeishuMessage(nil), f.messages...)
}

// Texts is every text xtraauth sent: messages and instance forms.
func (f *Feishu) Texts() []string {
	var out []string
	for _, m := range f.Messages() {
		out = append(out, m.Text)
	}
	for _, inst := range f.Instances() {
		out = append(out, inst.Form)
	}
	return out
}

// Event is an approval_instance callback of an instance, as Feishu sends
// it: encrypted with the encrypt key and signed at at.
func (f *Feishu) Event(code string, at time.Time) (body []byte, header http.Header) {
	f.mu.Lock()
	status, approvalCode := "", ""
	if inst := f.instances[code]; inst != nil {
		status, approvalCode = inst.Status, inst.ApprovalCode
	}
	f.mu.Unlock()
	plain, _ := json.Marshal(map[string]any{
		"uuid": randomID(""), "token": f.VerificationToken, "ts": strconv.FormatInt(at.Unix(), 10), "type": "event_callback",
		"event": map[string]any{"app_id": f.AppID, "approval_code": approvalCode, "instance_code": code,
			"status": status, "type": "approval_instance", "operate_time": strconv.FormatInt(at.UnixMilli(), 10)},
	})
	return f.Seal(plain, at)
}

// Seal encrypts and signs a callback payload at at.
func (f *Feishu) Seal(plain []byte, at time.Time) (body []byte, header http.Header) {
	iv := make([]byte, 16)
	_, _ = rand.Read(iv)
	enc, _ := feishu.Encrypt(plain, f.EncryptKey, iv)
	body, _ = json.Marshal(map[string]string{"encrypt": enc})
	ts, nonce := strconv.FormatInt(at.Unix(), 10), randomID("")
	header = http.Header{"Content-Type": {"application/json"}, feishu.HeaderTimestamp: {ts},
		feishu.HeaderNonce: {nonce}, feishu.HeaderSignature: {feishu.Sign(ts, nonce, f.EncryptKey, body)}}
	return body, header
}

// Post sends a callback to url and returns the status and body.
func Post(t testing.TB, url string, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

func (f *Feishu) tenantToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.AppID != f.AppID || in.AppSecret != f.AppSecret {
		writeJSON(w, http.StatusOK, map[string]any{"code": 10014, "msg": "app secret invalid"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": f.token, "expire": 7200})
}

// authed checks the tenant access token, as Feishu does.
func (f *Feishu) authed(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": 99991663, "msg": "Invalid access token for authorization"})
			return
		}
		h(w, r)
	}
}

func ok(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": data})
}

func refuse(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"code": code, "msg": msg})
}

func (f *Feishu) batchGetID(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("user_id_type") != "user_id" {
		refuse(w, 99992402, "want user_id_type=user_id")
		return
	}
	var in struct {
		Mobiles []string `json:"mobiles"`
		Emails  []string `json:"emails"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	list := []map[string]string{}
	for _, m := range in.Mobiles {
		entry := map[string]string{"mobile": m}
		for _, u := range f.users {
			if u.Mobile == m {
				entry["user_id"] = u.UserID
			}
		}
		list = append(list, entry)
	}
	for _, e := range in.Emails {
		entry := map[string]string{"email": e}
		for _, u := range f.users {
			if u.Email == e {
				entry["user_id"] = u.UserID
			}
		}
		list = append(list, entry)
	}
	ok(w, map[string]any{"user_list": list})
}

func (f *Feishu) member(id string) bool {
	for _, u := range f.users {
		if u.UserID == id {
			return true
		}
	}
	return false
}

func (f *Feishu) createApproval(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ApprovalName string           `json:"approval_name"`
		NodeList     []map[string]any `json:"node_list"`
		Form         struct {
			FormContent string `json:"form_content"`
		} `json:"form"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.ApprovalName == "" || len(in.NodeList) < 3 || in.Form.FormContent == "" {
		refuse(w, 1390001, "param is invalid")
		return
	}
	code := randomID("APPROVAL-")
	f.approvals[code] = false
	ok(w, map[string]string{"approval_code": code, "approval_id": code})
}

func (f *Feishu) subscribe(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if _, exists := f.approvals[code]; !exists {
		refuse(w, 1390002, "approval code not found")
		return
	}
	f.approvals[code] = true
	ok(w, map[string]any{})
}

func (f *Feishu) createInstance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ApprovalCode string `json:"approval_code"`
		UserID       string `json:"user_id"`
		Form         string `json:"form"`
		Nodes        []struct {
			Key   string   `json:"key"`
			Value []string `json:"value"`
		} `json:"node_approver_user_id_list"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if _, exists := f.approvals[in.ApprovalCode]; !exists {
		refuse(w, 1390002, "approval code not found")
		return
	}
	if !f.member(in.UserID) || len(in.Nodes) != 1 || in.Nodes[0].Key != feishu.NodeID || len(in.Nodes[0].Value) == 0 {
		refuse(w, 1390001, "param is invalid")
		return
	}
	inst := &FeishuInstance{Code: randomID("INST-"), ApprovalCode: in.ApprovalCode, Originator: in.UserID,
		Approvers: in.Nodes[0].Value, Form: in.Form, Status: "PENDING"}
	for _, id := range inst.Approvers {
		if !f.member(id) {
			refuse(w, 1390001, "approver not found")
			return
		}
		f.nextTaskID++
		inst.Tasks = append(inst.Tasks, FeishuTask{ID: strconv.Itoa(f.nextTaskID), UserID: id, Status: "PENDING"})
	}
	f.instances[inst.Code] = inst
	f.order = append(f.order, inst.Code)
	ok(w, map[string]string{"instance_code": inst.Code})
}

func (f *Feishu) getInstance(w http.ResponseWriter, r *http.Request) {
	inst := f.instances[r.PathValue("code")]
	if inst == nil {
		refuse(w, 1390003, "instance code not found")
		return
	}
	tasks := make([]map[string]string, len(inst.Tasks))
	for i, t := range inst.Tasks {
		tasks[i] = map[string]string{"id": t.ID, "user_id": t.UserID, "status": t.Status, "node_id": feishu.NodeID}
	}
	ok(w, map[string]any{"approval_code": inst.ApprovalCode, "instance_code": inst.Code, "user_id": inst.Originator,
		"status": inst.Status, "form": inst.Form, "task_list": tasks})
}

func (f *Feishu) decideTask(status string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ApprovalCode string `json:"approval_code"`
			InstanceCode string `json:"instance_code"`
			UserID       string `json:"user_id"`
			TaskID       string `json:"task_id"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		inst := f.instances[in.InstanceCode]
		if inst != nil && inst.ApprovalCode == in.ApprovalCode {
			for i, t := range inst.Tasks {
				if t.ID == in.TaskID && t.UserID == in.UserID && t.Status == "PENDING" {
					f.complete(inst, i, status == "APPROVED")
					ok(w, map[string]any{})
					return
				}
			}
		}
		refuse(w, 1390015, "task not found or not pending")
	}
}

func (f *Feishu) cancel(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ApprovalCode string `json:"approval_code"`
		InstanceCode string `json:"instance_code"`
		UserID       string `json:"user_id"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	inst := f.instances[in.InstanceCode]
	if inst == nil || inst.ApprovalCode != in.ApprovalCode || inst.Originator != in.UserID || inst.Status != "PENDING" {
		refuse(w, 1390001, "cannot cancel")
		return
	}
	inst.Status = "CANCELED"
	ok(w, map[string]any{})
}

func (f *Feishu) message(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ReceiveID string `json:"receive_id"`
		MsgType   string `json:"msg_type"`
		Content   string `json:"content"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	var content struct {
		Text string `json:"text"`
	}
	if r.URL.Query().Get("receive_id_type") != "user_id" || !f.member(in.ReceiveID) || in.MsgType != "text" ||
		json.Unmarshal([]byte(in.Content), &content) != nil || content.Text == "" {
		refuse(w, 230001, "invalid receive_id or content")
		return
	}
	f.messages = append(f.messages, FeishuMessage{UserID: in.ReceiveID, Text: content.Text})
	ok(w, map[string]string{"message_id": randomID("om_")})
}
