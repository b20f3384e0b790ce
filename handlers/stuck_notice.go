package handlers

import (
	"slices"
	"strings"

	"payops/adapters"
	"payops/views"
)

// unconfiguredNotice says, above a stuck list whose rows include payouts of
// providers payops has no credentials for, that Re-check (and the stale
// re-check job) cannot ask them, rather than letting an operator find out
// one failed Re-check at a time. When the sandbox answers here and the list
// shows live payouts, it says where payouts Re-check does work on are: the
// sandbox's are test data. "" when every listed provider is configured.
func unconfiguredNotice(rows []views.StuckRow, providers adapters.Registry, test bool) string {
	var missing []string
	for _, r := range rows {
		if _, err := providers.Get(r.Provider); err != nil && !slices.Contains(missing, r.Provider) {
			missing = append(missing, r.Provider)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	slices.Sort(missing)
	notice := missing[0] + " is not configured here, so Re-check and the stale re-check cannot ask it: its payouts " +
		"wait for a webhook or a settlement report (credentials: PAYOPS_" + strings.ToUpper(missing[0]) + "_…, see the README)."
	if len(missing) > 1 {
		notice = andList(missing) + " are not configured here, so Re-check and the stale re-check cannot ask them: " +
			"their payouts wait for a webhook or a settlement report (credentials: PAYOPS_<PROVIDER>_…, see the README)."
	}
	if _, err := providers.Get("sandbox"); err == nil && !test {
		notice += " Re-check works on the sandbox's payouts, which are test data: press Test in the header."
	}
	return notice
}
