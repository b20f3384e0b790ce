package web_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/drill"
	"payops/handlers"
	"payops/jobs"
	"payops/payout"
	"payops/static"
	"payops/store"
	"payops/store/pgtest"
	"payops/web"
)

const (
	sandboxSeed          = 42
	sandboxWebhookSecret = "sbx-whsec"
)

// app is payops' real server on a real database, with the sandbox provider
// behind an httptest server, as `payops serve` wires them.
type app struct {
	t         *testing.T
	store     *store.Store
	deps      web.Deps   // the server's, for another instance on the same database
	config    web.Config // likewise
	srv       *httptest.Server
	web       *web.Server
	sandbox   *httptest.Server
	drillURL  string // the drill provider's address, with drills
	provider  *sandbox.Server
	submitter *jobs.Submitter
	// creates counts payout creations the sandbox was asked for, by
	// reference id: the provider calls the submission worker made.
	mu      sync.Mutex
	creates map[string]int
}

// testPolicy holds INR payouts above 2 lakh for review. PH has no launch
// document, so it is read-only (pgtest makes IN, ID and US live).
var testPolicy, _ = payout.ParsePolicy("INR=200000.00")

type appOption func(*appConfig)

type appConfig struct {
	history   handlers.HistorySettings
	dsn       string
	worker    bool
	jobs      bool
	drills    bool
	live      bool
	providers bool
	registry  func(adapters.Registry) // changes the providers once they are made
	tolerance time.Duration
	extraJobs []jobs.Job
	now       func() time.Time // the server's clock for sessions and sign-in
	zone      *time.Location   // the business time zone; UTC when nil
}

// withLiveProvider adds a real provider, nxtbanking, speaking to the
// sandbox (which speaks its API): for live tokens.
func withLiveProvider() appOption { return func(c *appConfig) { c.live = true } }

// withRegistry lets edit change the server's providers once they are made
// (before the server starts).
func withRegistry(edit func(adapters.Registry)) appOption {
	return func(c *appConfig) { c.registry = edit }
}

// withBusinessTZ sets the business time zone (PAYOPS_BUSINESS_TZ).
func withBusinessTZ(loc *time.Location) appOption { return func(c *appConfig) { c.zone = loc } }

// withTolerance sets the webhook tolerance (5 minutes otherwise).
func withTolerance(d time.Duration) appOption { return func(c *appConfig) { c.tolerance = d } }

// withProviders configures Paywize, RazorpayX and Xendit too, with the
// test secrets of webhookproviders_test.go, for their webhooks.
func withProviders() appOption { return func(c *appConfig) { c.providers = true } }

// withHistory sets how the history tables are kept, as PAYOPS_ARCHIVE_DIR
// and PAYOPS_RETENTION would.
func withHistory(h handlers.HistorySettings) appOption { return func(c *appConfig) { c.history = h } }

// withDrills runs failure drills from the dashboard as serve does: the
// drill provider in a slot of its own, payouts through the server's API,
// with the submission worker and the stale re-check running.
func withDrills() appOption { return func(c *appConfig) { c.drills, c.worker = true, true } }

// withJobs gives the server a scheduler with the hold SLA job, not started:
// the jobs page runs it.
func withJobs() appOption { return func(c *appConfig) { c.jobs = true } }

// withJob adds job to withJobs' scheduler (and implies withJobs).
func withJob(job jobs.Job) appOption {
	return func(c *appConfig) { c.jobs, c.extraJobs = true, append(c.extraJobs, job) }
}

// withWorker runs the submission worker in the background, as serve does.
func withWorker() appOption { return func(c *appConfig) { c.worker = true } }

// withDSN runs the server on another connection string to the test's
// database, such as one through a proxy the test can cut.
func withDSN(f func(dsn string) string) appOption {
	return func(c *appConfig) { c.dsn = f(c.dsn) }
}

// throughProxy connects the server to its database through a proxy the test
// can cut, stored in *px.
func throughProxy(t *testing.T, px **proxy) appOption {
	return withDSN(func(dsn string) string {
		port := regexp.MustCompile(`port=(\d+)`).FindStringSubmatch(dsn)[1]
		*px = newProxy(t, "127.0.0.1:"+port)
		dsn = regexp.MustCompile(`host=\S+`).ReplaceAllString(dsn, "host=127.0.0.1")
		return regexp.MustCompile(`port=\d+`).ReplaceAllString(dsn, "port="+(*px).port())
	})
}

func newApp(t *testing.T, opts ...appOption) *app {
	t.Helper()
	cfg := appConfig{dsn: pgtest.NewDSN(t)}
	for _, o := range opts {
		o(&cfg)
	}
	st, err := store.Open(cfg.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := &app{t: t, creates: map[string]int{}}
	a.provider = sandbox.New(sandbox.Config{Seed: sandboxSeed, APIKey: "k", APISecret: "s"})
	sb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v1/payouts" {
			body, _ := io.ReadAll(r.Body)
			ref := regexp.MustCompile(`"reference_id":"([^"]*)"`).FindSubmatch(body)
			a.mu.Lock()
			if ref != nil {
				a.creates[string(ref[1])]++
			}
			a.mu.Unlock()
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		a.provider.ServeHTTP(w, r)
	}))
	t.Cleanup(sb.Close)
	providers := adapters.Registry{"sandbox": nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: sb.URL, APIKey: "k",
		APISecret: "s", WebhookSecret: sandboxWebhookSecret, Timeout: 2 * time.Second, Classify: sandbox.ClassifyFailure})}
	if cfg.live {
		// Played by the sandbox, so its failure codes are the sandbox's.
		providers["nxtbanking"] = nxtbanking.NewClient(nxtbanking.Config{BaseURL: sb.URL, APIKey: "k", APISecret: "s",
			WebhookSecret: "nxtb-whsec", Timeout: 2 * time.Second, Classify: sandbox.ClassifyFailure})
	}
	if cfg.providers {
		maps.Copy(providers, testProviders(t))
	}
	if cfg.registry != nil {
		cfg.registry(providers)
	}
	var runner *drill.Runner
	if cfg.drills {
		slot := &drill.Slot{}
		ds := httptest.NewServer(slot)
		t.Cleanup(ds.Close)
		a.drillURL = ds.URL
		providers[payout.DrillProvider] = slot
		ctx, cancel := context.WithCancel(context.Background())
		runner = &drill.Runner{Store: st, Slot: slot, Log: slog.New(slog.NewTextHandler(testLogOut(), nil)), Ctx: ctx}
		t.Cleanup(func() { cancel(); runner.WaitIdle() })
	}
	log := slog.New(slog.NewTextHandler(testLogOut(), nil))
	rechecker := &jobs.Rechecker{Store: st, Providers: providers, Log: log}
	deps := web.Deps{Store: st, Rechecker: rechecker, Days: &jobs.DayEnd{Store: st, Providers: providers, Location: cfg.zone, Log: log}, Providers: providers, Static: static.FS(), Metrics: prometheus.NewRegistry(), Log: log, Now: cfg.now}
	if cfg.jobs {
		sched := &jobs.Scheduler{Store: st, Instance: "test-1", Log: log}
		escalator := &jobs.HoldEscalator{Store: st, Log: log}
		if err := sched.Add(jobs.Job{Name: "hold-sla", Schedule: "@every 1h", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := escalator.RunOnce(ctx)
			return jobs.Outcome{Changed: n}, err
		}}); err != nil {
			t.Fatal(err)
		}
		for _, j := range cfg.extraJobs {
			if err := sched.Add(j); err != nil {
				t.Fatal(err)
			}
		}
		deps.Scheduler = sched
	}
	if runner != nil {
		deps.Drills = runner
	}
	a.deps = deps
	a.config = web.Config{SessionKey: []byte(strings.Repeat("k", 32)), StuckAfter: 10 * time.Minute, Policy: testPolicy,
		WebhookTolerance: cfg.tolerance, History: cfg.history}
	s, err := web.New(a.config, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	a.store, a.srv, a.web, a.sandbox = st, srv, s, sb
	if runner != nil {
		runner.PayopsURL = srv.URL
		runner.NewSandbox = func(chaos *sandbox.Chaos, secret string) *sandbox.Server {
			return sandbox.New(sandbox.Config{Seed: sandboxSeed, APIKey: "k", APISecret: "s", WebhookURL: srv.URL + "/webhooks/" + payout.DrillProvider,
				WebhookSecret: secret, SettleAfter: 300 * time.Millisecond, Chaos: chaos})
		}
		drillURL := a.drillURL
		runner.NewClient = func(secret string) adapters.Provider {
			return nxtbanking.NewClient(nxtbanking.Config{Name: payout.DrillProvider, BaseURL: drillURL, APIKey: "k", APISecret: "s",
				WebhookSecret: secret, Timeout: 2 * time.Second})
		}
	}
	a.submitter = &jobs.Submitter{Store: st, Providers: providers, Policy: testPolicy, Log: log, MaxAttempts: 3,
		Backoff: func(int) time.Duration { return 0 }}
	if cfg.worker {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			// With drills, the stale re-check too: only it finds the
			// payouts the provider never sends a webhook about.
			stale := &jobs.StaleRecheck{Store: st, Rechecker: rechecker, Log: log, After: time.Second, PerSecond: 100}
			for ctx.Err() == nil {
				a.submitter.RunOnce(ctx)
				if cfg.drills {
					stale.Run(ctx)
				}
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	return a
}

// submit runs one round of the submission worker and returns how many
// payouts the provider accepted.
func (a *app) submit() int {
	a.t.Helper()
	n, err := a.submitter.RunOnce(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

// createsOf returns how many times the sandbox was asked to create ref.
func (a *app) createsOf(ref string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.creates[ref]
}

var hashOnce sync.Once
var testHash []byte

// addUser adds a user with password "secret-pass".
func (a *app) addUser(email string, role payout.Role) {
	a.t.Helper()
	hashOnce.Do(func() { testHash, _ = bcrypt.GenerateFromPassword([]byte("secret-pass"), bcrypt.MinCost) })
	if _, err := a.store.CreateUser(context.Background(), store.User{Email: email, Name: strings.Split(email, "@")[0], Role: role, PasswordHash: string(testHash)}); err != nil {
		a.t.Fatal(err)
	}
}

// addPayout adds a sandbox payout in status that last changed age ago.
func (a *app) addPayout(ref string, status payout.Status, age time.Duration) {
	a.t.Helper()
	a.addPayoutFor(ref, "sandbox", status, age)
}

// addPayoutFor adds a live payout of provider, with the id the sandbox
// would have given it (the live provider of withLiveProvider is the
// sandbox too).
func (a *app) addPayoutFor(ref, provider string, status payout.Status, age time.Duration) {
	a.t.Helper()
	_, err := a.store.CreatePayout(context.Background(), "test", store.NewPayout{
		ReferenceID: ref, Provider: provider, ProviderPayoutID: sandbox.PayoutIDFor(ref),
		Amount: payout.Money{Minor: 125050, Currency: "INR"}, Mode: "IMPS", Status: status,
		Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234", BankName: "HDFC Bank"},
		CreatedAt:   time.Now().Add(-age),
	})
	if err != nil {
		a.t.Fatal(err)
	}
}

// refWithFate returns a reference whose sandbox payout has fate f.
func refWithFate(t *testing.T, prefix string, f sandbox.Fate) string {
	t.Helper()
	for i := range 1000 {
		ref := prefix + "-" + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
		if sandbox.FateOf(sandboxSeed, sandbox.PayoutIDFor(ref)) == f {
			return ref
		}
	}
	t.Fatalf("no reference with fate %s", f)
	return ""
}

// client is a browser-like HTTP client: it keeps cookies, does not follow
// redirects, and sends Sec-Fetch-Site: same-origin as a browser does for the
// dashboard's own forms.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func (a *app) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, base: a.srv.URL, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, header map[string]string) (int, string, http.Header) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
		header = maps.Clone(header)
		if header == nil {
			header = map[string]string{}
		}
		header["Content-Type"] = "application/x-www-form-urlencoded"
	}
	return c.send(method, path, body, header)
}

// send sends a request with body as it is.
func (c *client) send(method, path string, body io.Reader, header map[string]string) (int, string, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	code, body, _ := c.do("GET", path, nil, nil)
	return code, body
}

func (c *client) login(email string) {
	c.t.Helper()
	code, body, h := c.do("POST", "/login", url.Values{"email": {email}, "password": {"secret-pass"}}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/" {
		c.t.Fatalf("login %s: %d %s", email, code, body)
	}
}

// proxy is a TCP proxy to PostgreSQL that a test can take down and bring
// back, to play a database outage.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) port() string { _, port, _ := net.SplitHostPort(p.ln.Addr().String()); return port }

// setDown cuts every open connection and refuses new ones, or lets them in
// again.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func testLogOut() io.Writer {
	if os.Getenv("PAYOPS_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
