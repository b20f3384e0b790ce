package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// batch is statements sent to PostgreSQL as one: each is a data-modifying
// part of one WITH, so they run in one round trip instead of one each (a
// webhook's apply writes the payout, its ledger posting, its event, its
// audit entry and the delivery in one). The parts run on one snapshot, so
// none may read what another writes, and none may change a row another
// changes; each names the values it needs as arguments. A batch of one
// statement is sent as that statement.
type batch struct {
	names []string
	parts []string
	args  []any
}

// params appends vs to the batch's arguments and returns their
// placeholders, such as "$4, $5".
func (b *batch) params(vs ...any) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		b.args = append(b.args, v)
		ps[i] = "$" + strconv.Itoa(len(b.args))
	}
	return strings.Join(ps, ", ")
}

// array appends v, an array of PostgreSQL type typ[], to the batch's
// arguments and returns it as "(SELECT $n::typ[])". As a subquery its
// length is unknown to the planner in every plan, as it is in a prepared
// statement's generic plan: PostgreSQL then keeps the generic plan, where
// with "$n::typ[]" it plans again at every run (a custom plan that knows
// the length looks cheaper), which costs more than the run itself.
func (b *batch) array(v any, typ string) string {
	return arrayParam(b.params(v), typ)
}

// arrayParam is placeholder p, an array of typ, as batch.array sends it.
func arrayParam(p, typ string) string { return "(SELECT " + p + "::" + typ + "[])" }

// arrayParams are placeholders $1, $2, ... of arrays of types, as
// batch.array sends them, for a statement written whole (intakeSQL).
func arrayParams(types ...string) string {
	ps := make([]string, len(types))
	for i, t := range types {
		ps[i] = arrayParam("$"+strconv.Itoa(i+1), t)
	}
	return strings.Join(ps, ", ")
}

// add appends a statement, named name for later parts and the result to
// read its RETURNING ("" when none does).
func (b *batch) add(name, stmt string) {
	if name == "" {
		name = "w" + strconv.Itoa(len(b.parts)+1)
	}
	b.names = append(b.names, name)
	b.parts = append(b.parts, strings.TrimSpace(stmt))
}

// sql is the batch as one statement, ending in result: a SELECT over the
// parts' names, or "" for none (SELECT 1).
func (b *batch) sql(result string) string {
	if len(b.parts) == 1 && result == "" {
		return b.parts[0]
	}
	if result == "" {
		result = "SELECT 1"
	}
	var s strings.Builder
	for i, p := range b.parts {
		if i == 0 {
			s.WriteString("WITH ")
		} else {
			s.WriteString(",\n")
		}
		fmt.Fprintf(&s, "%s AS (%s)", b.names[i], p)
	}
	s.WriteString("\n" + result)
	return s.String()
}

// exec runs the batch in q.
func (b *batch) exec(ctx context.Context, q Querier) error {
	if len(b.parts) == 0 {
		return nil
	}
	_, err := execFast(ctx, q, b.sql(""), b.args...)
	return err
}

// get runs the batch in q and scans result's one row into dest.
func (b *batch) get(ctx context.Context, q Querier, dest any, result string) error {
	return getFast(ctx, q, dest, b.sql(result), b.args...)
}
