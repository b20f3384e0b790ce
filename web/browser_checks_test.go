package web_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The checks every browser test may run on the page it has open: nothing
// wider than its box, no badge struck through and no red zero, no serious
// accessibility violation (axe-core), no console error or failed request.

// overflowScript lists every element wider inside than it is (something in
// it scrolls or is clipped sideways) or reaching past the window's right
// edge, and whether the page scrolls sideways. Only a region marked
// data-scroll-x (a wide table that must scroll) may scroll, and what is in
// it may be wider than the window. Text fields scroll their own text; text
// cut off with an ellipsis counts, unless the element's title holds it
// whole.
const overflowScript = `(() => {
	const vw = document.documentElement.clientWidth, out = [];
	const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
		(typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "");
	for (const e of document.querySelectorAll("body *")) {
		if (e.matches("input, textarea, select, option") || e.closest("svg")) continue;
		if (e.parentElement.closest("[data-scroll-x]")) continue;
		const cs = getComputedStyle(e);
		const titled = cs.textOverflow === "ellipsis" && e.title !== "";
		if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && !e.matches("[data-scroll-x]") && !titled)
			out.push(name(e) + " " + e.scrollWidth + ">" + e.clientWidth +
				(cs.textOverflow === "ellipsis" ? " (text cut off)" : ""));
		if (e.getBoundingClientRect().right > vw + 1) out.push(name(e) + " past the right edge");
	}
	for (const e of document.querySelectorAll("[data-scroll-x]"))
		if (!["auto", "scroll"].includes(getComputedStyle(e).overflowX))
			out.push(name(e) + " is marked to scroll but does not");
	if (document.documentElement.scrollWidth > vw) out.push("the page scrolls sideways");
	return out;
})()`

// fitsWidth fails the test when something on the open page is wider than
// its box or runs past the window's right edge, or the page scrolls
// sideways (overflowScript).
func fitsWidth(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if over := evalJS[[]string](t, ctx, overflowScript); len(over) > 0 {
		t.Errorf("%s: %v", what, over)
	}
}

// lookScript lists what reads wrong: a status struck through (a CANCELLED
// payout is not deleted), a tile or count saying 0 in the colours of
// trouble, and a templ component call written where templ took it for text
// ("@statusBadge(c.Status)" on the page).
const lookScript = `(() => {
	const out = [], root = getComputedStyle(document.documentElement);
	const rgb = (v) => {
		const n = parseInt(v.trim().slice(1), 16);
		return "rgb(" + (n >> 16) + ", " + (n >> 8 & 255) + ", " + (n & 255) + ")";
	};
	const bad = rgb(root.getPropertyValue("--bad")), badBg = rgb(root.getPropertyValue("--bad-bg"));
	for (const e of document.querySelectorAll("body *"))
		if (getComputedStyle(e).textDecorationLine.includes("line-through") && e.textContent.trim())
			out.push("struck through: " + e.textContent.trim().slice(0, 40));
	for (const e of document.querySelectorAll(".tile, .otile, .count")) {
		const n = e.querySelector(".tile-number") || e;
		if (!/^0\b/.test(n.textContent.trim())) continue;
		const cs = getComputedStyle(e);
		if ([cs.backgroundColor, cs.borderTopColor].includes(bad) || cs.backgroundColor === badBg ||
			getComputedStyle(n).color === bad)
			out.push("red zero: " + e.textContent.trim().replace(/\s+/g, " "));
	}
	const leaked = document.body.innerText.match(/@[A-Za-z]\w*\([^)]*\)/);
	if (leaked) out.push("template call shown as text: " + leaked[0]);
	return out;
})()`

// axeRun runs axe-core on the page and lists its serious and critical
// violations, each with up to three of the elements it found.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations
	.filter((v) => v.impact === "serious" || v.impact === "critical")
	.map((v) => v.id + " (" + v.impact + "): " + v.help + " at " +
		v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")))`

const axePath = "testdata/axe/node_modules/axe-core/axe.min.js"

var axeOnce = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axePath)
	return string(b), err
})

// axeViolations injects axe-core (make deps-axe installs it) into the open
// page, once a page, and returns its serious and critical violations.
func axeViolations(t *testing.T, ctx context.Context) []string {
	t.Helper()
	src, err := axeOnce()
	if err != nil {
		t.Fatalf("axe-core: %v: run make test (or make deps-axe), which installs it with npm ci", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if loaded, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)); !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
			t.Fatalf("inject axe-core: %v", err)
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	return out
}

// pageWatch collects what a tab reports going wrong: console errors,
// uncaught exceptions, browser log errors (a blocked style, a failed load)
// and requests that failed or were answered 4xx/5xx.
type pageWatch struct {
	mu       sync.Mutex
	problems []string
}

// watch starts collecting the tab's problems.
func watch(t *testing.T, ctx context.Context) *pageWatch {
	t.Helper()
	w := &pageWatch{}
	if err := chromedp.Listen(ctx, w.event); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return w
}

func (w *pageWatch) event(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			p = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
		}
	case *runtime.EventExceptionThrown:
		p = "uncaught: " + ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			p += " " + ex.Description
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			p = fmt.Sprintf("%s error: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventLoadingFailed:
		if !ev.Canceled {
			p = "request failed: " + ev.ErrorText
		}
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			p = fmt.Sprintf("HTTP %d for %s", ev.Response.Status, ev.Response.URL)
		}
	}
	if p != "" {
		w.mu.Lock()
		w.problems = append(w.problems, p)
		w.mu.Unlock()
	}
}

// take returns the problems seen since the last take.
func (w *pageWatch) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.problems
	w.problems = nil
	return out
}

// The checks themselves, on a page made to fail them: what is too wide,
// scrolls unmarked, is cut off without a title, or is marked to scroll and
// does not is found; a marked region that scrolls, and text cut off with its
// title, are not. A struck-through status, a red zero, a field without a
// label (axe-core), a console error and a failed request are found too.
func TestBrowserChecksFindWhatTheyLookFor(t *testing.T) {
	page := `<!DOCTYPE html><html><head><style>
		:root { --bad: #b3261e; --bad-bg: #fce8e6; } body { margin: 0; width: 800px; }
		.wide { width: 900px; } .wider { width: 1100px; } .box { width: 200px; } .scroll { overflow-x: auto; }
		.cut { display: block; width: 60px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
		.count { background: var(--bad-bg); color: var(--bad); } s { text-decoration: line-through; }
	</style></head><body>
		<div id="too-wide" class="wider">x</div>
		<div id="unmarked" class="box scroll"><div class="wide">x</div></div>
		<div id="marked" class="box scroll" data-scroll-x><table class="wide"><tr><td>x</td></tr></table></div>
		<div id="marked-clips" class="box" data-scroll-x style="overflow: hidden"><div class="wide">x</div></div>
		<span id="cut" class="cut">a long name cut off</span>
		<span id="cut-titled" class="cut" title="a long name cut off">a long name cut off</span>
		<span class="count">0</span> <s>CANCELLED</s>
		<input type="text"> <img src="http://127.0.0.1:9/missing.png" alt="">
		<script>console.error("boom")</script>
	</body></html>`
	ctx := browser(t, chromedp.WindowSize(1000, 600))
	w := watch(t, ctx)
	step(t, ctx, "open the page", chromedp.Navigate("data:text/html,"+url.PathEscape(page)))
	over := strings.Join(evalJS[[]string](t, ctx, overflowScript), "\n")
	for _, want := range []string{"div#too-wide.wider past the right edge", "the page scrolls sideways",
		"div#unmarked.box.scroll 900>200",
		"div#marked-clips.box is marked to scroll but does not", "span#cut.cut", "(text cut off)"} {
		if !strings.Contains(over, want) {
			t.Errorf("overflowScript did not find %q in:\n%s", want, over)
		}
	}
	for _, not := range []string{"div#marked.box.scroll ", "table", "span#cut-titled"} {
		if strings.Contains(over, not) {
			t.Errorf("overflowScript found %q:\n%s", not, over)
		}
	}
	look := strings.Join(evalJS[[]string](t, ctx, lookScript), "\n")
	if !strings.Contains(look, "struck through: CANCELLED") || !strings.Contains(look, "red zero: 0") {
		t.Errorf("lookScript found:\n%s", look)
	}
	if bad := strings.Join(axeViolations(t, ctx), "\n"); !strings.Contains(bad, "label (critical)") {
		t.Errorf("axe-core found:\n%s", bad)
	}
	problems := strings.Join(w.take(), "\n")
	if !strings.Contains(problems, "console.error: boom") || !strings.Contains(problems, "request failed") {
		t.Errorf("the watch saw:\n%s", problems)
	}
}
