package platformtest

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"xtraauth/integrations/robot"
)

// Robot fakes a DingTalk or Feishu group robot that requires signatures.
type Robot struct {
	fake
	Secret string

	now      func() time.Time // the platform's clock, for timestamp checks
	feishu   bool
	token    string
	messages []string
}

// NewDingTalkRobot starts a fake DingTalk robot.
func NewDingTalkRobot(t testing.TB, now func() time.Time) *Robot {
	return startRobot(t, false, now)
}

// NewFeishuRobot starts a fake Feishu robot.
func NewFeishuRobot(t testing.TB, now func() time.Time) *Robot {
	return startRobot(t, true, now)
}

func startRobot(t testing.TB, feishu bool, now func() time.Time) *Robot {
	r := &Robot{Secret: randomID("SEC"), now: now, feishu: feishu, token: randomID("")}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /robot/send", r.dingTalk)
	mux.HandleFunc("POST /open-apis/bot/v2/hook/{token}", r.feishuHook)
	r.start(t, mux)
	return r
}

// Webhook is the robot's URL, with its access token, as the platform
// shows it.
func (r *Robot) Webhook() string {
	if r.feishu {
		return r.URL() + "/open-apis/bot/v2/hook/" + r.token
	}
	return r.URL() + "/robot/send?access_token=" + r.token
}

// Token is the access token in the webhook, a secret.
func (r *Robot) Token() string { return r.token }

// Messages returns the texts received.
func (r *Robot) Messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.messages...)
}

// SetClock sets the platform's clock, for timestamp checks.
func (r *Robot) SetClock(now func() time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = now
}

// fresh: both platforms refuse timestamps more than an hour away.
func (r *Robot) fresh(at time.Time) bool {
	r.mu.Lock()
	now := r.now
	r.mu.Unlock()
	d := now().Sub(at)
	return d < time.Hour && d > -time.Hour
}

func (r *Robot) dingTalk(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	var in struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if r.feishu || !readJSON(w, req, &in) {
		return
	}
	ms, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	switch {
	case q.Get("access_token") != r.token:
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 300001, "errmsg": "token is not exist"})
	case !r.fresh(time.UnixMilli(ms)) || q.Get("sign") != robot.DingTalkSign(ms, r.Secret):
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 310000, "errmsg": "sign not match"})
	case in.MsgType != "text" || in.Text.Content == "":
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 40035, "errmsg": "缺少参数 json"})
	default:
		r.mu.Lock()
		r.messages = append(r.messages, in.Text.Content)
		r.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
	}
}

func (r *Robot) feishuHook(w http.ResponseWriter, req *http.Request) {
	var in struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		MsgType   string `json:"msg_type"`
		Content   struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if !r.feishu || !readJSON(w, req, &in) {
		return
	}
	sec, _ := strconv.ParseInt(in.Timestamp, 10, 64)
	switch {
	case req.PathValue("token") != r.token:
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 19001, "msg": "param invalid: incoming webhook access token invalid"})
	case !r.fresh(time.Unix(sec, 0)) || in.Sign != robot.FeishuSign(sec, r.Secret):
		writeJSON(w, http.StatusOK, map[string]any{"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
	case in.MsgType != "text" || in.Content.Text == "":
		writeJSON(w, http.StatusOK, map[string]any{"code": 9499, "msg": "Bad Request"})
	default:
		r.mu.Lock()
		r.messages = append(r.messages, in.Content.Text)
		r.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
	}
}

// Coding fakes Coding's Open API: issues in one project.
type Coding struct {
	fake
	Token, Project string
	issues         []CodingIssue
}

// CodingIssue is an issue received.
type CodingIssue struct{ Type, Name, Priority, Description string }

// NewCoding starts a fake with one project and one personal token.
func NewCoding(t testing.TB) *Coding {
	c := &Coding{Token: randomID("coding-"), Project: "security"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-api", c.openAPI)
	c.start(t, mux)
	return c
}

// Issues returns the issues received.
func (c *Coding) Issues() []CodingIssue {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]CodingIssue(nil), c.issues...)
}

// Texts is every text of the issues received.
func (c *Coding) Texts() []string {
	var out []string
	for _, i := range c.Issues() {
		out = append(out, i.Name, i.Description)
	}
	return out
}

func codingError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"Response": map[string]any{"RequestId": randomID(""),
		"Error": map[string]string{"Code": code, "Message": msg}}})
}

func (c *Coding) openAPI(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "token "+c.Token {
		codingError(w, http.StatusUnauthorized, "AuthFailure", "invalid token")
		return
	}
	var in map[string]string
	if !readJSON(w, r, &in) {
		return
	}
	action, _ := url.QueryUnescape(r.URL.Query().Get("Action"))
	if in["Action"] != action {
		codingError(w, http.StatusBadRequest, "InvalidParameter", "Action differs")
		return
	}
	switch action {
	case "DescribeCodingCurrentUser":
		writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{"RequestId": randomID(""),
			"User": map[string]any{"Id": 7, "Name": "xtraauth-bot"}}})
	case "CreateIssue":
		p, err := strconv.Atoi(in["Priority"])
		if in["ProjectName"] != c.Project || in["Type"] != "DEFECT" || in["Name"] == "" || err != nil || p < 0 || p > 3 {
			codingError(w, http.StatusBadRequest, "InvalidParameter", "bad issue")
			return
		}
		c.mu.Lock()
		c.issues = append(c.issues, CodingIssue{Type: in["Type"], Name: in["Name"], Priority: in["Priority"], Description: in["Description"]})
		n := len(c.issues)
		c.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{"RequestId": randomID(""),
			"Issue": map[string]any{"Code": n, "Name": in["Name"]}}})
	default:
		codingError(w, http.StatusBadRequest, "InvalidAction", "unknown action")
	}
}
