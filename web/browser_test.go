package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"xtraauth/app/apptest"
	"xtraauth/store"
	"xtraauth/web"
)

// stepTimeout bounds one step of a test; a slow CI machine sharing two
// cores still finishes a step well within it.
const stepTimeout = 20 * time.Second

// browser starts one headless Chromium for all the subtests of t, or
// skips when there is none (CI installs Debian's chromium;
// XTRA_TEST_CHROME names another binary).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("XTRA_TEST_CHROME")
	if path == "" {
		var err error
		if path, err = exec.LookPath("chromium"); err != nil {
			t.Skip("no chromium on PATH and XTRA_TEST_CHROME not set: skipping the browser test")
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-renderer-backgrounding", true), chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// Started on ctx itself: the browser lives as long as the context of
	// its first run, and the subtests' timeouts are derived from it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// page is one tab in its own browser context (own cookies and storage),
// against its own server.
type page struct {
	t     *testing.T
	ctx   context.Context
	e     *apptest.Env
	lang  string
	words map[string]string
	mu    sync.Mutex
	errs  []string // script exceptions and console errors
}

// Each language runs with a browser that prefers it and a time zone of
// its own, so that the tests see the page pick the language and show
// local times.
var browserLocales = map[string]struct{ accept, zone string }{
	"en": {"en-US,en;q=0.9", "America/New_York"},
	"zh": {"zh-CN,zh;q=0.9", "Asia/Shanghai"},
}

// catchViolations records what the page's policy refused; CDP adds it
// before the page's own script, outside the page's policy.
const catchViolations = `window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));`

func newPage(t *testing.T, b context.Context, e *apptest.Env, lang string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	p := &page{t: t, ctx: ctx, e: e, lang: lang, words: words(t, lang)}
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // open the tab on ctx: it lives as long as its first run's context
		t.Fatalf("open a tab: %v", err)
	}
	loc := browserLocales[lang]
	p.run("set up the tab", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) xtraauth-test", AcceptLanguage: loc.accept,
		}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: loc.zone}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: catchViolations})
		return err
	}), chromedp.EmulateViewport(1280, 900))
	if err := chromedp.Listen(ctx, p.listen); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.finish)
	return p
}

func (p *page) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		for _, a := range ev.Args {
			msg += " " + string(a.Value) + a.Description
		}
	default:
		return
	}
	p.mu.Lock()
	p.errs = append(p.errs, msg)
	p.mu.Unlock()
}

// finish fails the test on script errors or refused policy, and leaves a
// screenshot of a failed test.
func (p *page) finish() {
	if !p.t.Failed() {
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__violations || []`))
		cancel()
		if err == nil && len(violations) > 0 {
			p.t.Errorf("the page's policy refused: %v", violations)
		}
		p.mu.Lock()
		if len(p.errs) > 0 {
			p.t.Errorf("script errors: %v", p.errs)
		}
		p.mu.Unlock()
	}
	if p.t.Failed() {
		dir := os.Getenv("XTRA_TEST_SCREENSHOTS")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "xtraauth-browser-failures")
		}
		p.screenshot(dir, regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(p.t.Name(), "_")+"-failed")
	}
}

// screenshot writes a PNG of the whole page into dir.
func (p *page) screenshot(dir, name string) {
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		path := filepath.Join(dir, name+".png")
		err = os.WriteFile(path, png, 0o644)
		p.t.Logf("screenshot: %s", path)
	}
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
	}
}

// namedScreenshot keeps a picture for the README when XTRA_TEST_SCREENSHOTS
// names a folder.
func (p *page) namedScreenshot(name string) {
	if dir := os.Getenv("XTRA_TEST_SCREENSHOTS"); dir != "" {
		p.screenshot(dir, name+"-"+p.lang)
	}
}

func (p *page) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v (message: %q)", what, err, p.message())
	}
}

func value[T any](p *page, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (p *page) eval(expr string) any {
	p.t.Helper()
	return value(p, expr, chromedp.Evaluate[any](expr))
}

func (p *page) message() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	m, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("message") || {}).textContent || ""`))
	return m
}

// until waits for a JavaScript condition, saying what it waited for.
func (p *page) until(what, cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](cond, chromedp.WithPollingInterval(25*time.Millisecond))); err != nil {
		p.t.Fatalf("waiting for %s: %v (message: %q, focus on %v)", what, err, p.message(), p.focused())
	}
}

func (p *page) focused() any {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const a = document.activeElement;
	  return a ? a.tagName + "#" + a.id + "." + a.className + "[" + (a.name || a.textContent.slice(0, 30)) + "]" : "none"; })()`))
	return v
}

func js(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

// tr is a message of the page's language, its {placeholders} filled
// from name, value pairs.
func (p *page) tr(key string, kv ...string) string {
	p.t.Helper()
	s, ok := p.words[key]
	if !ok {
		p.t.Fatalf("no word %q", key)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{"+kv[i]+"}", kv[i+1])
	}
	return s
}

func words(t *testing.T, lang string) map[string]string {
	raw, err := fs.ReadFile(web.Files(), "lang-"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]string
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// Steps people take -----------------------------------------------------

// waitMessage waits until the live region says want.
func (p *page) waitMessage(want string) {
	p.t.Helper()
	p.until(fmt.Sprintf("the message %q", want), `document.getElementById("message").textContent === `+js(want))
}

// waitFocus waits until the keyboard focus is on an element matching sel.
func (p *page) waitFocus(sel string) {
	p.t.Helper()
	p.until("the focus on "+sel, `document.activeElement && document.activeElement.matches(`+js(sel)+`)`)
}

func (p *page) visible(sel string) {
	p.t.Helper()
	p.run("show "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (p *page) gone(sel string) {
	p.t.Helper()
	p.until(sel+" gone", `!document.querySelector(`+js(sel)+`)`)
}

// click clicks an element once no table is loading (a row's buttons are
// made anew when its table loads).
func (p *page) click(sel string) {
	p.t.Helper()
	p.settled()
	p.run("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

func (p *page) set(sel, v string) {
	p.t.Helper()
	p.run("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), v))
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return value(p, "text of "+sel, chromedp.TextContent(chromedp.CSS(sel)))
}

// keys types on the keyboard into whatever has the focus.
func (p *page) keys(s string) {
	p.t.Helper()
	p.run(fmt.Sprintf("type %q", s), chromedp.KeyEvent(s))
}

func (p *page) shiftTab() {
	p.t.Helper()
	p.run("shift+tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
}

func (p *page) open() {
	p.t.Helper()
	p.run("open the page", chromedp.Navigate(p.e.Server.URL))
	p.until("the page to start", `!document.getElementById("view-login").hidden || !document.getElementById("view-account").hidden`)
}

// login logs in through the form and waits for My account.
func (p *page) login(login, password string) {
	p.t.Helper()
	p.open()
	p.set("#login-name", login)
	p.set("#login-password", password)
	p.click(`#login button[type=submit]`)
	p.visible("#view-account")
	p.waitFocus("#account-title")
}

// view opens a view from the navigation and waits for its heading to
// take the focus and its tables to load.
func (p *page) view(id string) {
	p.t.Helper()
	p.click(`#nav-list a[href="#` + id + `"]`)
	p.visible("#view-" + id)
	p.waitFocus("#" + id + "-title")
	p.settled()
}

// settled waits until no table is loading.
func (p *page) settled() {
	p.t.Helper()
	p.until("the tables to load", `!document.querySelector('.table-wrap[aria-busy="true"]')`)
}

// rows are the texts of a table's rows that hold data.
func (p *page) rows(tbody string) [][]string {
	p.t.Helper()
	p.settled()
	var rows [][]string
	raw := p.eval(`[...document.querySelectorAll(` + js(tbody+" tr:not(.note)") + `)].map((r) => [...r.cells].map((c) => c.textContent))`)
	for _, r := range raw.([]any) {
		var row []string
		for _, c := range r.([]any) {
			row = append(row, c.(string))
		}
		rows = append(rows, row)
	}
	return rows
}

// note is the text of a table's note row (empty list, error), or "".
func (p *page) note(tbody string) string {
	p.t.Helper()
	p.settled()
	v, _ := p.eval(`(document.querySelector(` + js(tbody+" tr.note td") + `) || {}).textContent || ""`).(string)
	return v
}

// confirm answers the confirmation dialog.
func (p *page) confirm(yes bool) {
	p.t.Helper()
	p.visible("#confirm")
	p.waitFocus(`#confirm button[value=cancel]`)
	if yes {
		p.click("#confirm-ok")
	} else {
		p.keys(kb.Escape)
	}
	p.until("the dialog to close", `!document.getElementById("confirm").open`)
}

// captchaAnswer reads the answer of the captcha a form shows, from the store.
//
// After a wrong answer the page swaps in a new captcha; until it has, the
// form still names the used-up one, so the id is read again until it names
// a live captcha.
func (p *page) captchaAnswer(form string) string {
	p.t.Helper()
	p.visible(form + " .captcha img.captcha-image")
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.until("the captcha picture", `document.querySelector(`+js(form+" .captcha-image")+`).naturalWidth > 0`)
		id := value(p, "captcha id", chromedp.AttributeValue(chromedp.CSS(form+" .captcha"), "data-captcha-id"))
		var n int64
		if _, err := fmt.Sscan(id.Value, &n); err != nil {
			p.t.Fatalf("captcha id %q: %v", id.Value, err)
		}
		c, err := p.e.App.Eph.GetCaptcha(context.Background(), n)
		if err == nil {
			return c.Answer
		}
		if !errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
			p.t.Fatalf("captcha %d: %v", n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shownKey reads the dev_key a box shows once, with the focus on its
// title and its warning, and checks that it logs in.
func (p *page) shownKey(box string) string {
	p.t.Helper()
	p.waitFocus(box + " .secret-title")
	if warn := p.text(box + " .warn"); warn != p.tr("secret.once") {
		p.t.Fatalf("warning %q", warn)
	}
	key := p.text(box + " .secret-value")
	if !regexp.MustCompile(`^[0-9]{10}[0-9a-f-]{36}$`).MatchString(key) {
		p.t.Fatalf("dev_key %q", key)
	}
	if r := p.e.Do("GET", "/api/users/me", nil, "X-XTRA-AUTH-ID", key); r.Status != 200 {
		p.t.Fatalf("the key the page showed does not work: %d", r.Status)
	}
	return key
}

// forgotten fails the test when a secret shown once is still in the page
// or in its storage.
func (p *page) forgotten(secret string) {
	p.t.Helper()
	if p.eval(`document.documentElement.outerHTML.includes(`+js(secret)+`) || JSON.stringify({...localStorage, ...sessionStorage}).includes(`+js(secret)+`)`) == true {
		p.t.Fatal("the secret is still in the page or its storage")
	}
}
