// Package sandbox is a simulated payout provider speaking the NxtBanking API
// (seed 000): token exchange, payout creation idempotent on reference_id,
// status lookup, and signed webhooks. It decides each payout's fate
// deterministically from a seed and the payout id, so demos and tests
// repeat. It holds no real money and keeps its state in memory.
package sandbox

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"payops/payout"
)

// Fate is what becomes of a payout at the sandbox.
type Fate string

// The fates, with their share of payouts.
const (
	Success  Fate = "success"  // 70%: SUCCESS with a UTR
	Failure  Fate = "failure"  // 10%: FAILED with a failure code
	Stuck    Fate = "stuck"    // 12%: PROCESSING for ever, no webhook
	Reversal Fate = "reversal" // 8%: SUCCESS, then REVERSED
)

// FateOf returns the fate of payout id under seed. Anyone knowing the seed
// can predict it, which is what tests and demos rely on.
func FateOf(seed int64, payoutID string) Fate {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", seed, payoutID)
	switch n := h.Sum64() % 100; {
	case n < 70:
		return Success
	case n < 80:
		return Failure
	case n < 92:
		return Stuck
	default:
		return Reversal
	}
}

// Config sets up a sandbox.
type Config struct {
	Seed          int64
	APIKey        string
	APISecret     string
	WebhookURL    string        // where to send webhooks; none are sent when empty
	WebhookSecret string        // signs X-NxtB-Signature
	SettleAfter   time.Duration // how long a new payout stays QUEUED
	Chaos         *Chaos        // misbehaviour for drills; nil for a well-behaved provider
	// RateLimit is how many requests a second the sandbox answers; above it
	// a request gets 429 with Retry-After, as providers answer. Zero is no
	// limit.
	RateLimit int
	// Balance is the INR balance payouts are paid from, in major units
	// ("250000.00"); DefaultBalance when empty. Each payout created debits
	// it (a reversal does not credit it back); one larger than what is left
	// is refused for insufficient balance, as a provider refuses it.
	Balance string
	Log     *slog.Logger
}

// DefaultBalance is the sandbox's balance when Config.Balance is empty:
// enough for every demo, drill and test that does not set its own.
const DefaultBalance = "1000000000.00"

type record struct {
	PayoutID    string
	ReferenceID string
	Amount      json.Number
	Currency    string // INR when the request names none, as NxtBanking's
	Mode        string
	CreatedAt   time.Time
	// BadIFSC is set for a payout to a beneficiary whose IFSC names no
	// branch (NoBranch): it fails with InvalidIFSC, whatever its fate.
	BadIFSC bool
}

// Server is the sandbox provider as an http.Handler.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	client *http.Client
	limit  *bucket // nil without a rate limit

	mu       sync.Mutex
	tokens   map[string]time.Time
	byID     map[string]*record
	byRef    map[string]*record
	noBranch map[string]bool // beneficiary ids registered with an IFSC of no branch
	refused  map[string]bool // reference ids refused for funds (never in byRef then)
	pending  sync.WaitGroup
	unsent   atomic.Int64 // webhooks scheduled and not sent yet
	balance  int64        // paise, under mu
	counts   counters
	outage   outage
}

// New returns a sandbox for cfg.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg: cfg, mux: http.NewServeMux(), client: &http.Client{Timeout: 10 * time.Second},
		tokens: map[string]time.Time{}, byID: map[string]*record{}, byRef: map[string]*record{}, noBranch: map[string]bool{},
		refused: map[string]bool{},
	}
	if cfg.RateLimit > 0 {
		s.limit = newBucket(cfg.RateLimit)
	}
	bal, err := payout.ParseMoney(cmp.Or(cfg.Balance, DefaultBalance), "INR")
	if err != nil {
		bal, _ = payout.ParseMoney(DefaultBalance, "INR")
		cfg.Log.Warn("sandbox balance unreadable; using the default", "balance", cfg.Balance, "err", err)
	}
	s.balance = bal.Minor
	s.mux.HandleFunc("GET /api/v1/balance", s.authed(s.handleBalance))
	s.mux.HandleFunc("POST /api/v1/auth/token", s.handleToken)
	s.mux.HandleFunc("POST /api/v1/beneficiaries", s.authed(s.handleBeneficiary))
	s.mux.HandleFunc("POST /api/v1/payouts", s.authed(s.chaotic(s.handleCreate)))
	s.mux.HandleFunc("GET /api/v1/payouts", s.authed(s.chaotic(s.handleLookup)))
	s.mux.HandleFunc("GET /v1/payouts/{id}", s.authed(s.chaotic(s.handleGet)))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.limit != nil && !s.limit.take(time.Now()) {
		s.counts.rateLimited.Add(1)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate limit exceeded"})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Wait blocks until webhooks in flight have been sent.
func (s *Server) Wait() { s.pending.Wait() }

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		APIKey    string `json:"api_key"`
		APISecret string `json:"api_secret"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body"})
		return
	}
	if req.APIKey != s.cfg.APIKey || req.APISecret != s.cfg.APISecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid api_key or api_secret"})
		return
	}
	b := make([]byte, 24)
	rand.Read(b)
	tok := "sbx_tok_" + hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(time.Hour)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3600})
}

func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known || time.Now().After(exp) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid or expired access token"})
			return
		}
		next(w, r)
	}
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BeneficiaryID string      `json:"beneficiary_id"`
		Amount        json.Number `json:"amount"`
		Currency      string      `json:"currency"`
		Mode          string      `json:"mode"`
		ReferenceID   string      `json:"reference_id"`
		Narration     string      `json:"narration"`
	}
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	d.UseNumber()
	if err := d.Decode(&req); err != nil || req.ReferenceID == "" || req.Amount == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reference_id and amount are required"})
		return
	}
	if down, paused := s.outage.affects(req.Mode); down {
		if paused {
			s.counts.sentWhilePaused.Add(1)
		}
		s.counts.downtimeErrors.Add(1)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "payouts are down: " + DowntimeID})
		return
	}
	if c := s.cfg.Chaos; c != nil && s.roll("funds", req.ReferenceID) < c.InsufficientFunds {
		s.refuse(req.ReferenceID)
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "insufficient balance in the source account"})
		return
	}
	if req.Currency == "" {
		req.Currency = "INR"
	}
	amt, err := payout.ParseMoney(req.Amount.String(), req.Currency)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	s.mu.Lock()
	if rec, dup := s.byRef[req.ReferenceID]; dup {
		s.mu.Unlock()
		writeJSON(w, http.StatusConflict, map[string]string{"error": "duplicate reference_id", "payout_id": rec.PayoutID})
		return
	}
	// The balance is in rupees: a payout in another currency does not
	// spend it.
	if amt.Currency == "INR" && amt.Minor > s.balance {
		s.mu.Unlock()
		s.refuse(req.ReferenceID)
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "insufficient balance in the source account"})
		return
	}
	if amt.Currency == "INR" {
		s.balance -= amt.Minor
	}
	rec := &record{PayoutID: PayoutIDFor(req.ReferenceID), ReferenceID: req.ReferenceID, Amount: req.Amount,
		Currency: req.Currency, Mode: req.Mode, CreatedAt: time.Now(), BadIFSC: s.noBranch[req.BeneficiaryID]}
	s.byRef[rec.ReferenceID], s.byID[rec.PayoutID] = rec, rec
	s.mu.Unlock()
	s.counts.created.Add(1)
	writeJSON(w, http.StatusOK, s.resource(rec, time.Now()))
	s.scheduleWebhook(rec)
}

// refuse counts a payout refused for funds and remembers its reference.
func (s *Server) refuse(ref string) {
	s.counts.refused.Add(1)
	s.mu.Lock()
	s.refused[ref] = true
	s.mu.Unlock()
}

// PayoutIDFor is the sandbox's payout id for one of our reference ids.
func PayoutIDFor(ref string) string {
	h := fnv.New64a()
	h.Write([]byte(ref))
	return fmt.Sprintf("sbx_%016x", h.Sum64())
}

// handleBeneficiary registers a beneficiary; the id depends only on the
// account, so registering it again returns the same id.
func (s *Server) handleBeneficiary(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name          string `json:"name"`
		AccountNumber string `json:"account_number"`
		IFSC          string `json:"ifsc"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.AccountNumber == "" || req.Name == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name and account_number are required"})
		return
	}
	h := fnv.New64a()
	h.Write([]byte(req.AccountNumber + "/" + req.IFSC))
	id := fmt.Sprintf("ben_%016x", h.Sum64())
	if strings.HasPrefix(strings.ToUpper(req.IFSC), NoBranch) {
		s.mu.Lock()
		s.noBranch[id] = true
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]string{"beneficiary_id": id, "status": "VERIFIED"})
}

// scheduleWebhook sends the payout's webhooks: its final state, signed, once
// it settles; under chaos, what Chaos plans. Stuck payouts send nothing:
// only a re-check finds out about them.
func (s *Server) scheduleWebhook(rec *record) {
	if s.cfg.WebhookURL == "" {
		return
	}
	for _, w := range s.webhooks(rec) {
		s.pending.Add(1)
		s.unsent.Add(1)
		time.AfterFunc(w.at, func() {
			defer s.pending.Done()
			defer s.unsent.Add(-1)
			s.send(rec, w)
		})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// handleBalance answers GET /api/v1/balance with what is left to pay out.
func (s *Server) handleBalance(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	bal := payout.Money{Minor: s.balance, Currency: "INR"}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"balance": json.Number(bal.Decimal()), "currency": bal.Currency})
}

// SetBalance sets the balance left to pay out, in paise.
func (s *Server) SetBalance(minor int64) {
	s.mu.Lock()
	s.balance = minor
	s.mu.Unlock()
}
