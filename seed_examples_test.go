package main

// These tests run the built binary as an operator would: a server process
// on a free port, CLI commands next to it on the same data directory, and
// the seed's curl commands against it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"xtraauth/internal/testkit"
)

const (
	// seedPassword is the seed's '$VeryGoodPassw0rd', dollar sign included.
	seedPassword  = "$VeryGoodPassw0rd"
	adminPassword = "Adm1n-Passw0rd"
	examplesFile  = "testdata/seed-examples.txt"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// xtraauthBinary builds the binary once per test run, with the race
// detector when the tests have it.
func xtraauthBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "xtraauth-bin-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "xtraauth")
		args := []string{"build", "-o", binPath}
		if raceEnabled() {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// install is one installation: a data directory and settings, shared by
// its server and its CLI runs.
type install struct {
	t   *testing.T
	env []string
}

// newInstall makes an installation in a temporary directory with cheap
// password hashing; settings ("XTRA_X=v") come last and win. No XTRA_
// variable of the test's own environment leaks in.
func newInstall(t *testing.T, settings ...string) *install {
	env := append([]string{"XTRA_DATA_DIR=" + t.TempDir()}, testkit.CheapHashEnv()...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XTRA_") {
			env = append(env, kv)
		}
	}
	return &install{t: t, env: append(env, settings...)}
}

// cli runs the binary with args and stdin, bounded to a minute.
func (in *install) cli(stdin string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, xtraauthBinary(in.t), args...)
	cmd.Env, cmd.Stdin = in.env, strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// mustCLI runs a command that must succeed and returns its stdout.
func (in *install) mustCLI(stdin string, args ...string) string {
	in.t.Helper()
	out, errOut, err := in.cli(stdin, args...)
	if err != nil {
		in.t.Fatalf("xtraauth %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// server is a running `xtraauth serve`.
type server struct {
	t      *testing.T
	addr   string // 127.0.0.1:PORT
	cmd    *exec.Cmd
	output *testkit.LogBuffer // stdout and stderr
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

// start runs the server on a free port and waits until /healthz answers.
// The process is killed when the test ends, if still running.
func (in *install) start() *server {
	t := in.t
	t.Helper()
	s := &server{t: t, addr: freeAddr(t), output: &testkit.LogBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(xtraauthBinary(t), "serve")
	s.cmd.Env = append(slices.Clone(in.env), "XTRA_ADDR="+s.addr)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); <-s.exited })
	eventually(t, "/healthz of "+s.addr, 30*time.Second, func() bool {
		select {
		case <-s.exited:
			t.Fatalf("server exited at start: %v\n%s", s.err, s.output)
		default:
		}
		resp, err := httpClient.Get("http://" + s.addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// stop sends SIGTERM and expects exit status 0.
func (s *server) stop() {
	s.t.Helper()
	s.terminate()
	s.waitExit()
}

func (s *server) terminate() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
}

func (s *server) waitExit() {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("server still running 30s after SIGTERM\n%s", s.output)
	}
	if s.err != nil {
		s.t.Fatalf("server exit: %v, want status 0\n%s", s.err, s.output)
	}
}

var httpClient = &http.Client{Timeout: 15 * time.Second}

// request sends form (if any) as a form body and the token (if any) in
// X-XTRA-AUTH-ID; it returns the status and the JSON reply.
func (s *server) request(method, path, token string, form url.Values) (int, map[string]any) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, "http://"+s.addr+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("X-XTRA-AUTH-ID", token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&reply)
	return resp.StatusCode, reply
}

// login posts login and one secret field (password or dev_key) and
// returns the status and the token ("" unless 200).
func (s *server) login(login, field, secret string) (int, string) {
	s.t.Helper()
	status, reply := s.request(http.MethodPost, "/api/sessions", "", url.Values{"login": {login}, field: {secret}})
	token, _ := reply["token"].(string)
	return status, token
}

// users is the status of GET /api/users with token.
func (s *server) users(token string) int {
	s.t.Helper()
	status, _ := s.request(http.MethodGet, "/api/users", token, nil)
	return status
}

func TestSeedExamplesAndRestart(t *testing.T) {
	t.Parallel()
	in := newInstall(t, "XTRA_ADMIN_PASSWORD="+adminPassword)
	srv := in.start()
	in.mustCLI(seedPassword+"\n", "user", "add", "1007")
	devKey := strings.TrimSpace(in.mustCLI("", "devkey", "create", "1007"))

	t.Run("examples", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl is not installed: skipping the seed's curl examples")
		}
		vars := map[string]string{"DEV_KEY": devKey}
		for _, ex := range readExamples(t, examplesFile) {
			runExample(t, srv.addr, ex, vars)
		}
	})

	t.Run("restart", func(t *testing.T) {
		status, before := srv.login("1007", "password", seedPassword)
		if status != http.StatusOK {
			t.Fatalf("login before restart: %d", status)
		}
		drained := loginDuringShutdown(t, srv, devKey)
		srv.waitExit()
		if out := srv.output.String(); strings.Contains(out, adminPassword) {
			t.Errorf("the admin password from XTRA_ADMIN_PASSWORD was printed:\n%s", out)
		}

		srv = in.start()
		if out := srv.output.String(); strings.Contains(out, "created super admin") {
			t.Errorf("second start announced an admin again:\n%s", out)
		}
		if status, _ := srv.login("1007", "dev_key", devKey); status != http.StatusOK {
			t.Errorf("dev_key login after restart: %d, want 200", status)
		}
		if status := srv.users(devKey); status != http.StatusOK {
			t.Errorf("dev_key as token after restart: %d, want 200", status)
		}
		for name, token := range map[string]string{"session": before, "drained login's session": drained} {
			if status := srv.users(token); status != http.StatusUnauthorized {
				t.Errorf("%s token from before the restart: %d, want 401 (embedded sessions end with the process)", name, status)
			}
		}
		srv.stop()
	})
}

// loginDuringShutdown starts a dev_key login, sends SIGTERM while its body
// is still on the way, then finishes it: the draining server must answer
// 200. It returns the session token.
func loginDuringShutdown(t *testing.T, srv *server, devKey string) string {
	t.Helper()
	body := url.Values{"login": {"1007"}, "dev_key": {devKey}}.Encode()
	conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	// "Expect: 100-continue": the server answers 100 once the handler reads
	// the body, so the request is surely in flight before the signal.
	fmt.Fprintf(conn, "POST /api/sessions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", srv.addr, len(body))
	r := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %v, %v", resp, err)
	}
	srv.terminate()
	eventually(t, "the server to start draining", 10*time.Second, func() bool {
		return strings.Contains(srv.output.String(), "shutting down")
	})
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("in-flight request during shutdown: %v", err)
	}
	defer resp.Body.Close()
	var reply struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("in-flight login during shutdown: %d %v, want 200", resp.StatusCode, err)
	}
	return reply.Token
}

func TestGeneratedAdminPassword(t *testing.T) {
	t.Parallel()
	in := newInstall(t)
	srv := in.start()
	m := regexp.MustCompile(`admin.*password (\S+)`).FindStringSubmatch(srv.output.String())
	if m == nil {
		t.Fatalf("first start without XTRA_ADMIN_PASSWORD printed no password:\n%s", srv.output)
	}
	password := m[1]
	status, token := srv.login("admin", "password", password)
	if status != http.StatusOK {
		t.Fatalf("login with the printed password: %d, want 200", status)
	}
	if status, reply := srv.request(http.MethodGet, "/api/users/me", token, nil); status != http.StatusOK || reply["is_super"] != 1.0 {
		t.Errorf("GET /api/users/me as the first admin: %d %v, want 200 and is_super 1", status, reply)
	}
	srv.stop()
	if n := strings.Count(srv.output.String(), password); n != 1 {
		t.Errorf("the generated password appears %d times in the output, want once", n)
	}

	srv = in.start()
	if strings.Contains(srv.output.String(), password) || strings.Contains(srv.output.String(), "created super admin") {
		t.Errorf("second start printed an admin password again:\n%s", srv.output)
	}
	if status, _ := srv.login("admin", "password", password); status != http.StatusOK {
		t.Errorf("login with the generated password after restart: %d, want 200", status)
	}
	srv.stop()
}

// example is one block of testdata/seed-examples.txt.
type example struct {
	name    string
	command string
	status  int
	want    map[string]any
	save    map[string]string // variable -> reply field
}

// readExamples parses the examples file; its header explains the format.
func readExamples(t *testing.T, path string) []example {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var examples []example
	for block := range strings.SplitSeq(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n\n") {
		if !strings.Contains("\n"+block, "\n$ ") {
			continue // a comment block
		}
		ex := example{save: map[string]string{}}
		lines := strings.Split(strings.TrimSpace(block), "\n")
		for i := 0; i < len(lines); i++ {
			line := lines[i]
			switch {
			case strings.HasPrefix(line, "# "):
				ex.name = strings.TrimPrefix(line, "# ")
			case strings.HasPrefix(line, "$ "):
				ex.command = strings.TrimPrefix(line, "$ ")
				for strings.HasSuffix(lines[i], "\\") && i+1 < len(lines) {
					i++
					ex.command += "\n" + lines[i]
				}
			case strings.HasPrefix(line, "save "):
				f := strings.Fields(line)
				if len(f) != 3 {
					t.Fatalf("%s: want `save VAR field`, got %q", path, line)
				}
				ex.save[f[1]] = f[2]
			default:
				code, want, _ := strings.Cut(line, " ")
				if ex.status, err = strconv.Atoi(code); err != nil {
					t.Fatalf("%s: example %q: unknown line %q", path, ex.name, line)
				}
				if err := json.Unmarshal([]byte(want), &ex.want); want != "" && err != nil {
					t.Fatalf("%s: example %q: expected JSON: %v", path, ex.name, err)
				}
			}
		}
		if ex.status == 0 {
			t.Fatalf("%s: example %q has no expected status", path, ex.name)
		}
		examples = append(examples, ex)
	}
	if len(examples) == 0 {
		t.Fatalf("%s: no examples", path)
	}
	return examples
}

// runExample runs the example's command with bash against addr, checks the
// reply and saves the fields it names into vars.
func runExample(t *testing.T, addr string, ex example, vars map[string]string) {
	t.Helper()
	// The curl function adds the status on a last line of its own.
	script := "set -u\ncurl() { command curl -q -sS --noproxy '*' --max-time 30 -w '\\n%{http_code}' \"$@\"; }\n" +
		strings.ReplaceAll(ex.command, "localhost:8081", addr)
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = os.Environ()
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", ex.name, err, stderr.String())
	}
	i := strings.LastIndexByte(string(out), '\n')
	body, code := string(out[:max(i, 0)]), string(out[i+1:])
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil && ex.want != nil {
		t.Errorf("%s: reply is not a JSON object: %q", ex.name, body)
		return
	}
	if code != strconv.Itoa(ex.status) {
		t.Errorf("%s: status %s, want %d; reply %s", ex.name, code, ex.status, body)
	}
	for _, d := range diff("", ex.want, got) {
		t.Errorf("%s: %s; reply %s", ex.name, d, body)
	}
	for name, field := range ex.save {
		v, ok := got[field].(string)
		if !ok || v == "" {
			t.Fatalf("%s: no string %q in the reply to save as $%s: %s", ex.name, field, name, body)
		}
		vars[name] = v
	}
}

// diff lists how got differs from want: every key of want must be in got
// with an equal value; "*" matches any value; objects match recursively.
func diff(prefix string, want, got map[string]any) []string {
	var out []string
	for k, w := range want {
		g, ok := got[k]
		wm, wIsObject := w.(map[string]any)
		gm, gIsObject := g.(map[string]any)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s%s is missing", prefix, k))
		case w == "*":
		case wIsObject && gIsObject:
			out = append(out, diff(prefix+k+".", wm, gm)...)
		case !reflect.DeepEqual(w, g):
			out = append(out, fmt.Sprintf("%s%s = %v, want %v", prefix, k, g, w))
		}
	}
	sort.Strings(out)
	return out
}

// freeAddr picks a free port on 127.0.0.1.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// eventually polls cond until it holds, failing the test after timeout.
func eventually(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
