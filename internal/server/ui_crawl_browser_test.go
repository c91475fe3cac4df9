package server_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rampart-security/rampart/internal/demo"
	"github.com/rampart-security/rampart/internal/server"
	"github.com/rampart-security/rampart/internal/store"
)

// cspProbe runs in every page before its own scripts (injected through
// the DevTools protocol, not an inline script of the product) and records
// Content-Security-Policy violations.
const cspProbe = `window.__csp = []; document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber));`

// TestBrowserCrawlDemo signs in to the demo portfolio and opens the main
// pages at 1440 and 390 px: no console error, no uncaught exception, no
// CSP violation, no failed or 4xx/5xx request, and no horizontal overflow
// of the page (wide tables scroll inside their card).
func TestBrowserCrawlDemo(t *testing.T) {
	env := newEnv(t, "sqlite", func(_ *server.Config, st *store.Store) {
		if _, err := demo.Seed(context.Background(), st); err != nil {
			t.Fatal(err)
		}
	})
	ctx, _, do := newBrowser(t)

	var mu sync.Mutex
	var problems []string
	page0 := ""
	note := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, page0+": "+fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				note("console %s: %s", ev.Type, strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			note("exception: %s %s (%s:%d)", d.Text, desc, d.URL, d.LineNumber)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				note("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventLoadingFailed:
			if !ev.Canceled {
				note("request failed: %s %s", ev.Type, ev.ErrorText)
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				note("HTTP %d for %s", ev.Response.Status, ev.Response.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	do("install the CSP probe", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	}))

	do("sign in", signIn(env.url+"/login", "alice", env.password, chromedp.WaitVisible(chromedp.CSS("header.top")))...)

	pages := []string{"/", "/vulnerabilities", "/findings", "/incidents", "/search?q=openssl", "/advisories",
		"/threatmodel/rules", "/conformity", "/audit", "/admin/users", "/admin/vulndb", "/account"}
	// The demo's product, release and threat-model pages, found from the portfolio.
	do("open the portfolio", chromedp.Navigate(env.url+"/"), chromedp.WaitReady(chromedp.CSS("main")))
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main a[href^='/products/'], main a[href^='/releases/']")).map(a => a.getAttribute("href"))`))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range links {
		u, _ := url.Parse(l)
		kind := strings.Split(u.Path, "/")[1]
		if !seen[kind] && strings.Count(u.Path, "/") == 2 {
			seen[kind] = true
			pages = append(pages, u.Path)
		}
	}
	if !seen["products"] || !seen["releases"] {
		t.Fatalf("portfolio links %v: no product or release page to crawl", links)
	}
	for _, width := range []int64{1440, 390} {
		do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		for _, p := range slices.Clone(pages) {
			mu.Lock()
			page0 = fmt.Sprintf("%s at %d px", p, width)
			mu.Unlock()
			do("open "+p, chromedp.Navigate(env.url+p), chromedp.WaitReady(chromedp.CSS("body")), chromedp.Sleep(150e6))
			csp, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range csp {
				note("CSP violation: %s", v)
			}
			over, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
				const d = document.documentElement;
				if (d.scrollWidth <= window.innerWidth) return "";
				const wide = Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
					.filter(e => { for (let a = e.parentElement; a; a = a.parentElement) { const o = getComputedStyle(a).overflowX; if (o === "auto" || o === "scroll" || o === "hidden") return false; } return true; }).slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " in " + (e.parentElement.className || e.parentElement.tagName));
				return d.scrollWidth + " > " + window.innerWidth + " (" + wide.join(", ") + ")";
			})()`))
			if err != nil {
				t.Fatal(err)
			}
			if over != "" {
				note("horizontal overflow: %s", over)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
}
