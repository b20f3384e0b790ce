package main

// Benchmark 8's seed, in set-based SQL (see scaleShape).

// scaleRegionSQL is benchmark 1's sandbox payouts 1..$1 ($2 the stuck
// stride, $3 beneficiaries), as seed.go makes them but changed in the last
// two days (the reconciled day is older); $4 makes only the in-flight ones,
// else all but them. The in-flight ones' last changes differ by a
// millisecond or more: tens of thousands of payouts changed at the same
// instant would make the list by last change sort them all for its first
// page, which no real database asks of it. Amounts, references and provider ids are what the
// load generator's webhooks say (webhookBody).
const scaleRegionSQL = `
	INSERT INTO payouts (id, reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency, mode,
		narration, status, failure_code, failure_reason, utr, submitted_at, created_at, updated_at, settled_at)
	SELECT g, 'BENCH-' || lpad(g::text, 7, '0'), 'sandbox', (100000000000 + g)::text, 1 + g % $3::int,
		1000 + (g::bigint * 7919) % 10000000, 'INR', 'IMPS', 'bench payout ' || g, k.status,
		CASE WHEN k.status = 'FAILED' THEN 'BENEFICIARY_ACCOUNT_CLOSED' ELSE '' END,
		CASE WHEN k.status = 'FAILED' THEN 'Beneficiary account is closed' ELSE '' END,
		CASE WHEN k.status IN ('SUCCEEDED', 'REVERSED') THEN (300000000000 + g)::text ELSE '' END,
		k.changed - interval '5 minutes', k.changed - interval '5 minutes', k.changed,
		CASE WHEN k.status = 'REVERSED' THEN k.changed - interval '1 hour' WHEN k.status <> 'PROCESSING' THEN k.changed END
	FROM generate_series(1, $1::int) g
	CROSS JOIN LATERAL (SELECT
		CASE WHEN g % $2::int = 0 OR g % 10 BETWEEN 1 AND 3 THEN 'PROCESSING'
		     WHEN g % 20 = 9 THEN 'FAILED'
		     WHEN g % 20 = 19 THEN 'REVERSED'
		     ELSE 'SUCCEEDED' END AS status,
		CASE WHEN g % $2::int = 0 THEN now() - interval '15 minutes' - (g / $2::int % 2820) * interval '1 minute'
		     WHEN g % 10 BETWEEN 1 AND 3 THEN now() - interval '1 minute' - (g % 60000) * interval '1 millisecond'
		     ELSE now() - interval '3 hours' - (g % 2400) * interval '1 minute' END AS changed) k
	WHERE (g % 10 BETWEEN 1 AND 3) = $4`

// scaleYearSQL is payouts $2+1..$1 ($3 the stuck stride, $4 beneficiaries):
// a year of razorpayx (35%), nxtbanking (30%), paywize (15%) and xendit
// (20%, IDR or PHP) payouts, drawn as findPayoutsSQL draws half a year's,
// created evenly over the last 365 days in id order; SUCCEEDED 93.8%,
// FAILED 5%, REVERSED 0.7%, CANCELLED 0.5%, and every $3-th stuck. IMPS UTRs
// begin with 6, so no UTR is a region payout's provider id or UTR.
var scaleYearSQL = `
	INSERT INTO payouts (id, reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency, mode,
		narration, status, failure_code, failure_reason, utr, fee_minor, submitted_at, created_at, updated_at,
		settled_at, market)
	SELECT g, 'po_' || lpad(to_hex((g::bigint * 2654435761) % 4294967296), 8, '0'), provider,
		CASE provider WHEN 'razorpayx' THEN 'pout_' || substr(md5('pout' || g), 1, 14)
		     WHEN 'nxtbanking' THEN 'NXB' || lpad(((g::bigint * 2654435761) % 10000000000)::text, 10, '0')
		     WHEN 'paywize' THEN 'PWZ' || upper(substr(md5('pwz' || g), 1, 15))
		     ELSE 'disb-' || md5('xnd' || g) END,
		1 + floor(ben * $4::int)::int,
		greatest(round(10000 * power(hi / 10000, amt) / step) * step, 100)::bigint, currency, mode,
		(ARRAY['Vendor payment', 'Customer refund', 'Salary', 'Commission', 'Cashback', 'Insurance claim'])[1 + g % 6],
		status,
		CASE WHEN status = 'FAILED' THEN (ARRAY['BENEFICIARY_ACCOUNT_CLOSED', 'INVALID_IFSC', 'BENEFICIARY_BANK_DOWN',
			'AMOUNT_LIMIT_EXCEEDED'])[1 + g % 4] ELSE '' END,
		CASE WHEN status = 'FAILED' THEN (ARRAY['Beneficiary account is closed', 'IFSC code is invalid',
			'Beneficiary bank is down', 'Amount above the beneficiary bank''s limit'])[1 + g % 4] ELSE '' END,
		CASE WHEN status NOT IN ('SUCCEEDED', 'REVERSED') OR currency <> 'INR' THEN ''
		     WHEN mode = 'IMPS' THEN '6' || lpad(((g::bigint * 982451653) % 100000000000)::text, 11, '0')
		     WHEN mode = 'NEFT' THEN bank || 'N' || lpad(((g::bigint * 982451653) % 100000000000)::text, 11, '0')
		     ELSE bank || 'R5' || to_char(created, 'YYYYMMDD') || lpad(g::text, 8, '0') END,
		CASE WHEN provider IN ('razorpayx', 'paywize') AND status IN ('SUCCEEDED', 'REVERSED')
		     THEN CASE mode WHEN 'IMPS' THEN 590 WHEN 'NEFT' THEN 295 ELSE 1770 END END,
		created + interval '1 second', created,
		CASE WHEN stuck THEN created + interval '5 minutes'
		     WHEN status = 'REVERSED' THEN least(settled + interval '1 day' + took * interval '2 days', now())
		     ELSE settled END,
		CASE WHEN NOT stuck THEN settled END,
		CASE currency WHEN 'IDR' THEN 'ID' WHEN 'PHP' THEN 'PH' ELSE 'IN' END
	FROM (SELECT g, provider, currency, amt, ben, took, created, stuck,
		least(created + interval '5 seconds' + took * took * interval '3 hours', now()) AS settled,
		CASE WHEN currency <> 'INR' THEN 'BANK_TRANSFER' WHEN mode < 0.70 THEN 'IMPS' WHEN mode < 0.95 THEN 'NEFT'
		     ELSE 'RTGS' END AS mode,
		CASE provider WHEN 'razorpayx' THEN 'YESB' WHEN 'paywize' THEN 'ICIC' WHEN 'nxtbanking' THEN 'HDFC'
		     ELSE 'SBIN' END AS bank,
		CASE WHEN stuck THEN 'PROCESSING' WHEN st < 0.050 THEN 'FAILED' WHEN st < 0.057 THEN 'REVERSED'
		     WHEN st < 0.062 THEN 'CANCELLED' ELSE 'SUCCEEDED' END AS status,
		CASE currency WHEN 'PHP' THEN 10000000 ELSE 50000000 END AS hi,
		CASE WHEN round < 0.15 THEN CASE currency WHEN 'IDR' THEN 1000 ELSE 10000 END WHEN round < 0.40 THEN 100
		     ELSE 1 END AS step
		FROM (SELECT g, st, amt, round, mode, ben, took, stuck,
			CASE WHEN prov < 0.35 THEN 'razorpayx' WHEN prov < 0.65 THEN 'nxtbanking' WHEN prov < 0.80 THEN 'paywize'
			     ELSE 'xendit' END AS provider,
			CASE WHEN prov < 0.80 THEN 'INR' WHEN cur < 0.7 THEN 'IDR' ELSE 'PHP' END AS currency,
			CASE WHEN stuck THEN now() - interval '20 minutes' - (g / $3::int % 2820) * interval '1 minute'
			     ELSE now() - interval '365 days' + (g - $2::int - 1) * (interval '365 days' / ($1::int - $2::int)) END
				AS created
			FROM (SELECT g, g % $3::int = 0 AS stuck, ` + draw("g", 11) + ` AS prov, ` + draw("g", 12) + ` AS st,
				` + draw("g", 13) + ` AS amt, ` + draw("g", 14) + ` AS round, ` + draw("g", 15) + ` AS mode,
				` + draw("g", 16) + ` AS ben, ` + draw("g", 17) + ` AS took, ` + draw("g", 18) + ` AS cur
				FROM generate_series($2::int + 1, $1::int) g OFFSET 0) r
			OFFSET 0) c
		OFFSET 0) k`

// Ledger postings of every outcome, as postOutcome makes them; a posting's
// id is its payout's times four plus its kind's number, so that the
// entries are made from the payouts alone, without a join.
const scalePostingsSQL = `
	INSERT INTO ledger_postings (id, payout_id, kind, posted_at, payout_created_at)
	SELECT p.id * 4 + k.n, p.id, k.kind, CASE k.kind WHEN 'reversed' THEN p.updated_at ELSE p.settled_at END, p.created_at
	FROM payouts p
	CROSS JOIN LATERAL (VALUES (0, 'succeeded', true), (1, 'fee', p.fee_minor > 0), (2, 'reversed', p.status = 'REVERSED'))
		k (n, kind, posted)
	WHERE p.status IN ('SUCCEEDED', 'REVERSED') AND k.posted`

// Each posting's balanced entries: succeeded debits payable and credits the
// provider's settlement account, the fee debits fees, a reversal undoes
// both.
const scaleEntriesSQL = `
	INSERT INTO ledger_entries (posting_id, payout_created_at, account, direction, amount_minor, currency)
	SELECT p.id * 4 + e.n, p.created_at, e.account, e.direction, e.amount, p.currency
	FROM payouts p
	CROSS JOIN LATERAL (VALUES
		(0, 'payouts_payable', 'debit', p.amount_minor, true),
		(0, 'provider_settlement:' || p.provider, 'credit', p.amount_minor, true),
		(1, 'provider_fees', 'debit', p.fee_minor, p.fee_minor > 0),
		(1, 'provider_settlement:' || p.provider, 'credit', p.fee_minor, p.fee_minor > 0),
		(2, 'payouts_payable', 'credit', p.amount_minor, p.status = 'REVERSED'),
		(2, 'provider_settlement:' || p.provider, 'debit', p.amount_minor, p.status = 'REVERSED'),
		(2, 'provider_fees', 'credit', p.fee_minor, p.status = 'REVERSED' AND p.fee_minor > 0),
		(2, 'provider_settlement:' || p.provider, 'debit', p.fee_minor, p.status = 'REVERSED' AND p.fee_minor > 0))
		e (n, account, direction, amount, posted)
	WHERE p.status IN ('SUCCEEDED', 'REVERSED') AND e.posted`

// scaleSettledBy is how a payout's outcome was learnt: a webhook for those
// findWebhooksSQL gives one, else the re-check's poll.
const scaleSettledBy = `CROSS JOIN LATERAL (SELECT
		CASE WHEN p.provider = 'razorpayx' OR p.id % 4 = 0 THEN 'webhook' ELSE 'poll' END AS source,
		CASE p.status WHEN 'REVERSED' THEN 'SUCCEEDED' ELSE p.status END AS first) w`

// The payout's timeline as apply writes it: submitted (QUEUED ->
// PROCESSING), its outcome, and a reversal.
const scaleEventsSQL = `
	INSERT INTO payout_events (payout_id, source, raw_status, status, previous, decision, detail, utr, failure_code,
		failure_reason, actor, observed_at, recorded_at)
	SELECT p.id, e.source, e.raw_status, e.status, e.previous, 'applied', 'moved to ' || e.status, e.utr, e.failure_code,
		e.failure_reason, e.actor, e.at, e.at
	FROM payouts p ` + scaleSettledBy + `
	CROSS JOIN LATERAL (VALUES
		('system', 'processing', 'PROCESSING', 'QUEUED', '', '', '', 'submitter', p.submitted_at + interval '1 second',
			p.submitted_at IS NOT NULL),
		(w.source, lower(w.first), w.first, 'PROCESSING', p.utr, p.failure_code, p.failure_reason, w.source, p.settled_at,
			p.settled_at IS NOT NULL),
		('webhook', 'reversed', 'REVERSED', 'SUCCEEDED', p.utr, '', '', 'webhook', p.updated_at, p.status = 'REVERSED'))
		e (source, raw_status, status, previous, utr, failure_code, failure_reason, actor, at, happened)
	WHERE e.happened`

// The audit log of each payout: created, then each observation apply
// audits.
const scaleAuditSQL = `
	INSERT INTO audit_log (at, actor, action, entity_type, entity_id, details)
	SELECT a.at, a.actor, a.action, 'payout', p.reference_id, a.details
	FROM payouts p ` + scaleSettledBy + `
	CROSS JOIN LATERAL (VALUES
		(p.created_at, 'api:bench-platform', 'payout.create', jsonb_build_object('provider', p.provider,
			'amount', (p.amount_minor / 100)::text || '.' || lpad((p.amount_minor % 100)::text, 2, '0'),
			'currency', p.currency, 'status', 'QUEUED', 'livemode', p.livemode), true),
		(p.submitted_at + interval '1 second', 'submitter', 'payout.observe', '{"source": "system", "raw_status":
			"processing", "observed": "PROCESSING", "from": "QUEUED", "to": "PROCESSING", "decision": "applied"}'::jsonb,
			p.submitted_at IS NOT NULL),
		(p.settled_at, w.source, 'payout.observe', jsonb_build_object('source', w.source, 'raw_status', lower(w.first),
			'observed', w.first, 'from', 'PROCESSING', 'to', w.first, 'decision', 'applied'), p.settled_at IS NOT NULL),
		(p.updated_at, 'webhook', 'payout.observe', '{"source": "webhook", "raw_status": "reversed", "observed":
			"REVERSED", "from": "SUCCEEDED", "to": "REVERSED", "decision": "applied"}'::jsonb, p.status = 'REVERSED'))
		a (at, actor, action, details, happened)
	WHERE a.happened`
