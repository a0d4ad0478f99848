package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xtraauth/app/apptest"
)

// browser starts headless Chromium, or skips when there is none (CI
// installs Debian's chromium; XTRA_TEST_CHROME names another binary).
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
		chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot keeps a picture of the page when XTRA_TEST_SCREENSHOTS names a folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("XTRA_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := get(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserLoginCaptchaAndDevKey drives the page as a person would: two
// wrong passwords, a captcha solved, the account page, a new dev_key,
// logout.
func TestBrowserLoginCaptchaAndDevKey(t *testing.T) {
	ctx := browser(t)
	e := apptest.New(t)
	login := func(password string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SetValue(chromedp.CSS(`#login [name=login]`), "admin"),
			chromedp.SetValue(chromedp.CSS(`#login [name=password]`), password),
			chromedp.Click(chromedp.CSS(`#login button[type=submit]`)),
		)
	}
	do(t, ctx, "open the page", chromedp.Navigate(e.Server.URL), chromedp.WaitVisible(chromedp.ID("login")))
	for i := 1; i <= 2; i++ {
		do(t, ctx, "wrong password", login("wrong"), chromedp.WaitVisible(chromedp.ID("message")))
		if msg := get(t, ctx, "message", chromedp.Text(chromedp.ID("message"))); msg != "Wrong username or password" {
			t.Fatalf("after wrong password %d the page says %q", i, msg)
		}
		do(t, ctx, "clear the message", chromedp.Evaluate[chromedp.Void](`document.getElementById("message").hidden = true; undefined`))
	}

	do(t, ctx, "captcha asked", login(apptest.AdminPassword), chromedp.WaitVisible(chromedp.ID("captcha-image")))
	width := get(t, ctx, "picture loaded", chromedp.Poll[int](`document.getElementById("captcha-image").naturalWidth || null`))
	captchaID := get(t, ctx, "captcha id", chromedp.Evaluate[string](`captchaId`))
	screenshot(t, ctx, "captcha")
	id, err := strconv.ParseInt(captchaID, 10, 64)
	if err != nil || width == 0 {
		t.Fatalf("captcha id %q, picture width %d", captchaID, width)
	}
	c, err := e.App.Eph.GetCaptcha(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}

	do(t, ctx, "log in with the captcha",
		chromedp.SetValue(chromedp.CSS(`#login [name=captcha_str]`), c.Answer), login(apptest.AdminPassword),
		chromedp.WaitVisible(chromedp.ID("account")), chromedp.WaitVisible(chromedp.ID("admin")))
	if who := get(t, ctx, "who", chromedp.Text(chromedp.ID("me-login"))); who != "admin" {
		t.Fatalf("logged in as %q", who)
	}

	do(t, ctx, "create a dev_key",
		chromedp.SetValue(chromedp.CSS(`#devkey-new [name=label]`), "ci"),
		chromedp.Click(chromedp.CSS(`#devkey-new button`)),
		chromedp.WaitVisible(chromedp.ID("devkey-shown")), chromedp.WaitVisible(chromedp.CSS(`#devkeys tr`)))
	key := get(t, ctx, "the new key", chromedp.Text(chromedp.ID("devkey-value")))
	if !regexp.MustCompile(`^[0-9]{10}[0-9a-f-]{36}$`).MatchString(key) {
		t.Fatalf("dev_key %q", key)
	}
	screenshot(t, ctx, "account")
	if r := e.Do("GET", "/api/users/me", nil, "X-XTRA-AUTH-ID", key); r.Status != 200 {
		t.Fatalf("the key the page showed does not work: %d", r.Status)
	}
	if get(t, ctx, "cookie", chromedp.Evaluate[bool](`document.cookie.includes("xtra-session")`)) {
		t.Fatal("the page's script can read the session cookie")
	}
	do(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("login")))
}
