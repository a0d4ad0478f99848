package platformtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// DingTalk fakes the DingTalk app APIs xtraauth calls, on one server for
// both api.dingtalk.com and oapi.dingtalk.com.
type DingTalk struct {
	fake
	AppKey, AppSecret, AgentID string

	token     string
	users     map[string]string // mobile → userid
	forms     map[string]bool
	instances map[string]*DingTalkInstance
	order     []string
	notices   []DingTalkNotice
	nextTask  int64
}

// DingTalkInstance is an approval instance the fake keeps.
type DingTalkInstance struct {
	ID, ProcessCode, Originator string
	Approvers                   []string
	Form                        map[string]string
	Status                      string // RUNNING, COMPLETED, TERMINATED
	Result                      string // agree, refuse
	Tasks                       []DingTalkTask
}

// DingTalkTask is one approver's task.
type DingTalkTask struct {
	TaskID         int64
	UserID         string
	Status, Result string
}

// DingTalkNotice is a work notice received.
type DingTalkNotice struct {
	UserIDs []string
	Text    string
}

// NewDingTalk starts a fake whose app is key/secret with agent 1001.
func NewDingTalk(t testing.TB) *DingTalk {
	d := &DingTalk{AppKey: "ding-key", AppSecret: "ding-secret-" + randomID(""), AgentID: "1001",
		token: randomID("dt-token-"), users: map[string]string{}, forms: map[string]bool{},
		instances: map[string]*DingTalkInstance{}, nextTask: 1000}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1.0/oauth2/accessToken", d.accessToken)
	mux.HandleFunc("POST /topapi/v2/user/getbymobile", d.oapi(d.getByMobile))
	mux.HandleFunc("POST /topapi/message/corpconversation/asyncsend_v2", d.oapi(d.workNotice))
	mux.HandleFunc("POST /v1.0/workflow/forms", d.v1(d.createForm))
	mux.HandleFunc("POST /v1.0/workflow/processInstances", d.v1(d.createInstance))
	mux.HandleFunc("GET /v1.0/workflow/processInstances", d.v1(d.getInstance))
	mux.HandleFunc("POST /v1.0/workflow/processInstances/execute", d.v1(d.execute))
	mux.HandleFunc("POST /v1.0/workflow/processInstances/terminate", d.v1(d.terminate))
	d.start(t, mux)
	return d
}

// AddUser puts a user with a mobile in the fake's organisation.
func (d *DingTalk) AddUser(mobile, userID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[mobile] = userID
}

// Decide completes userID's running task of an instance, as the approver
// would in the DingTalk app.
func (d *DingTalk) Decide(instanceID, userID string, agree bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	inst := d.instances[instanceID]
	if inst == nil {
		return fmt.Errorf("no instance %s", instanceID)
	}
	for i, t := range inst.Tasks {
		if t.UserID == userID && t.Status == "RUNNING" {
			d.complete(inst, i, agree)
			return nil
		}
	}
	return fmt.Errorf("%s has no running task in %s", userID, instanceID)
}

// complete decides task i; in an OR node the first decision ends the
// instance and cancels the other tasks.
func (d *DingTalk) complete(inst *DingTalkInstance, i int, agree bool) {
	result := map[bool]string{true: "agree", false: "refuse"}[agree]
	for j := range inst.Tasks {
		inst.Tasks[j].Status = "CANCELED"
	}
	inst.Tasks[i].Status, inst.Tasks[i].Result = "COMPLETED", strings.ToUpper(result)
	inst.Status, inst.Result = "COMPLETED", result
}

// Instances returns copies of the instances, oldest first.
func (d *DingTalk) Instances() []DingTalkInstance {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]DingTalkInstance, len(d.order))
	for i, id := range d.order {
		out[i] = *d.instances[id]
		out[i].Tasks = append([]DingTalkTask(nil), d.instances[id].Tasks...)
	}
	return out
}

// Notices returns the work notices received.
func (d *DingTalk) Notices() []DingTalkNotice {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]DingTalkNotice(nil), d.notices...)
}

// Texts is every text xtraauth sent: notices and instance forms.
func (d *DingTalk) Texts() []string {
	var out []string
	for _, n := range d.Notices() {
		out = append(out, n.Text)
	}
	for _, inst := range d.Instances() {
		for _, v := range inst.Form {
			out = append(out, v)
		}
	}
	return out
}

func (d *DingTalk) accessToken(w http.ResponseWriter, r *http.Request) {
	var in struct{ AppKey, AppSecret string }
	if !readJSON(w, r, &in) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if in.AppKey != d.AppKey || in.AppSecret != d.AppSecret {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": d.token, "expireIn": 7200})
}

// oapi checks the old API's access_token query parameter.
func (d *DingTalk) oapi(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if r.URL.Query().Get("access_token") != d.token {
			writeJSON(w, http.StatusOK, map[string]any{"errcode": 40014, "errmsg": "不合法的access_token"})
			return
		}
		h(w, r)
	}
}

// v1 checks the v1.0 API's token header.
func (d *DingTalk) v1(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if r.Header.Get("x-acs-dingtalk-access-token") != d.token {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"code": "InvalidAuthentication", "message": "不合法的access_token"})
			return
		}
		h(w, r)
	}
}

func (d *DingTalk) getByMobile(w http.ResponseWriter, r *http.Request) {
	var in struct{ Mobile string }
	if !readJSON(w, r, &in) {
		return
	}
	id, ok := d.users[in.Mobile]
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 60121, "errmsg": "找不到该用户"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "result": map[string]string{"userid": id}})
}

func (d *DingTalk) known(userID string) bool {
	for _, id := range d.users {
		if id == userID {
			return true
		}
	}
	return false
}

func (d *DingTalk) workNotice(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AgentID    int64  `json:"agent_id"`
		UserIDList string `json:"userid_list"`
		Msg        struct {
			MsgType string `json:"msgtype"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
		} `json:"msg"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	ids := strings.Split(in.UserIDList, ",")
	for _, id := range ids {
		if !d.known(id) {
			writeJSON(w, http.StatusOK, map[string]any{"errcode": 33012, "errmsg": "无效的userid " + id})
			return
		}
	}
	if strconv.FormatInt(in.AgentID, 10) != d.AgentID || in.Msg.MsgType != "text" || in.Msg.Text.Content == "" {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 400002, "errmsg": "无效的参数"})
		return
	}
	d.notices = append(d.notices, DingTalkNotice{UserIDs: ids, Text: in.Msg.Text.Content})
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "task_id": len(d.notices)})
}

func (d *DingTalk) createForm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name           string           `json:"name"`
		FormComponents []map[string]any `json:"formComponents"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.Name == "" || len(in.FormComponents) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "invalidParameter", "message": "name and formComponents are required"})
		return
	}
	code := randomID("PROC-")
	d.forms[code] = true
	writeJSON(w, http.StatusOK, map[string]any{"result": map[string]string{"processCode": code}})
}

func (d *DingTalk) createInstance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ProcessCode      string `json:"processCode"`
		OriginatorUserID string `json:"originatorUserId"`
		Approvers        []struct {
			ActionType string   `json:"actionType"`
			UserIDs    []string `json:"userIds"`
		} `json:"approvers"`
		FormComponentValues []struct{ Name, Value string } `json:"formComponentValues"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	bad := func(msg string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "invalidParameter", "message": msg})
	}
	if !d.forms[in.ProcessCode] {
		bad("no such processCode")
		return
	}
	if !d.known(in.OriginatorUserID) {
		bad("originator is not in the organisation")
		return
	}
	if len(in.Approvers) != 1 || in.Approvers[0].ActionType != "OR" || len(in.Approvers[0].UserIDs) == 0 {
		bad("want one OR node of approvers")
		return
	}
	inst := &DingTalkInstance{ID: randomID("inst-"), ProcessCode: in.ProcessCode, Originator: in.OriginatorUserID,
		Approvers: in.Approvers[0].UserIDs, Form: map[string]string{}, Status: "RUNNING"}
	for _, id := range inst.Approvers {
		if !d.known(id) {
			bad("approver " + id + " is not in the organisation")
			return
		}
		d.nextTask++
		inst.Tasks = append(inst.Tasks, DingTalkTask{TaskID: d.nextTask, UserID: id, Status: "RUNNING", Result: "NONE"})
	}
	for _, v := range in.FormComponentValues {
		inst.Form[v.Name] = v.Value
	}
	d.instances[inst.ID] = inst
	d.order = append(d.order, inst.ID)
	writeJSON(w, http.StatusOK, map[string]string{"instanceId": inst.ID})
}

func (d *DingTalk) getInstance(w http.ResponseWriter, r *http.Request) {
	inst := d.instances[r.URL.Query().Get("processInstanceId")]
	if inst == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "instanceNotExist", "message": "实例不存在"})
		return
	}
	tasks := make([]map[string]any, len(inst.Tasks))
	for i, t := range inst.Tasks {
		tasks[i] = map[string]any{"taskId": t.TaskID, "userId": t.UserID, "status": t.Status, "result": t.Result}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "result": map[string]any{
		"status": inst.Status, "result": inst.Result, "originatorUserId": inst.Originator, "tasks": tasks}})
}

func (d *DingTalk) execute(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ProcessInstanceID string `json:"processInstanceId"`
		TaskID            int64  `json:"taskId"`
		ActionerUserID    string `json:"actionerUserId"`
		Result            string `json:"result"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	inst := d.instances[in.ProcessInstanceID]
	if inst != nil && (in.Result == "agree" || in.Result == "refuse") {
		for i, t := range inst.Tasks {
			if t.TaskID == in.TaskID && t.UserID == in.ActionerUserID && t.Status == "RUNNING" {
				d.complete(inst, i, in.Result == "agree")
				writeJSON(w, http.StatusOK, map[string]any{"result": true})
				return
			}
		}
	}
	writeJSON(w, http.StatusBadRequest, map[string]string{"code": "taskNotRunning", "message": "任务不存在或已处理"})
}

func (d *DingTalk) terminate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ProcessInstanceID string `json:"processInstanceId"`
		IsSystem          bool   `json:"isSystem"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	inst := d.instances[in.ProcessInstanceID]
	if inst == nil || inst.Status != "RUNNING" || !in.IsSystem {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "instanceNotRunning", "message": "实例不在审批中"})
		return
	}
	inst.Status = "TERMINATED"
	for i := range inst.Tasks {
		if inst.Tasks[i].Status == "RUNNING" {
			inst.Tasks[i].Status = "CANCELED"
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": true})
}

// RotateToken makes the token handed out so far invalid, as its expiry
// would.
func (d *DingTalk) RotateToken() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.token = randomID("dt-token-")
}
