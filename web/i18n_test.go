package web_test

import (
	"encoding/json"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"xtraauth/web"
)

// Keys the page names: in data-i18n attributes, in t("…") and label(x, "…")
// calls, and as dotted string literals (maps of kinds, errors, buttons).
var keyPatterns = []*regexp.Regexp{
	regexp.MustCompile(`data-i18n(?:-[a-z-]+)?="([^"]+)"`),
	regexp.MustCompile(`\bt\("([^"]+)"`),
	regexp.MustCompile(`\blabel\([^,()]+, "([^"]+)"`),
	regexp.MustCompile(`"([a-z_]+(?:\.[A-Za-z_]+)+)"`),
}

var placeholder = regexp.MustCompile(`\{(\w+)\}`)

func languages(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, lang := range []string{"en", "zh"} {
		raw, err := fs.ReadFile(web.Files(), "lang-"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		var words map[string]string
		if err := json.Unmarshal(raw, &words); err != nil {
			t.Fatalf("lang-%s.json: %v", lang, err)
		}
		out[lang] = words
	}
	return out
}

func usedKeys(t *testing.T) map[string]bool {
	t.Helper()
	used := map[string]bool{}
	err := fs.WalkDir(web.Files(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".html")) {
			return err
		}
		raw, err := fs.ReadFile(web.Files(), path)
		for _, re := range keyPatterns {
			for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
				used[m[1]] = true
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// TestTranslationsComplete: every word the page shows exists in both
// languages with the same placeholders, and neither language has words
// nobody uses.
func TestTranslationsComplete(t *testing.T) {
	langs := languages(t)
	used := usedKeys(t)
	en, zh := langs["en"], langs["zh"]
	if !slices.Equal(slices.Sorted(maps.Keys(en)), slices.Sorted(maps.Keys(zh))) {
		for k := range en {
			if _, ok := zh[k]; !ok {
				t.Errorf("%q is in English only", k)
			}
		}
		for k := range zh {
			if _, ok := en[k]; !ok {
				t.Errorf("%q is in Chinese only", k)
			}
		}
	}
	for k := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("the page uses %q, which no language has", k)
		}
	}
	for k, s := range en {
		if !used[k] {
			t.Errorf("%q is in the languages but the page never uses it", k)
		}
		want := slices.Sorted(slices.Values(placeholders(s)))
		if got := slices.Sorted(slices.Values(placeholders(zh[k]))); !slices.Equal(got, want) {
			t.Errorf("%q: placeholders %v in Chinese, %v in English", k, got, want)
		}
		if strings.TrimSpace(zh[k]) == "" || strings.TrimSpace(s) == "" {
			t.Errorf("%q is empty in a language", k)
		}
	}
}

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestNoInlineCode: the page's policy allows no inline script or style, so
// none may be written (the browser would refuse it silently).
func TestNoInlineCode(t *testing.T) {
	raw, err := fs.ReadFile(web.Files(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`), // a script with a body
		regexp.MustCompile(`<style`), regexp.MustCompile(`\sstyle="`), regexp.MustCompile(`\son[a-z]+="`),
		regexp.MustCompile(`javascript:`), regexp.MustCompile(`https?://`),
	} {
		if m := bad.Find(raw); m != nil {
			t.Errorf("index.html holds %q", m)
		}
	}
}
