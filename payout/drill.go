package payout

// DrillProvider is the provider failure drills send their payouts to: the
// sandbox in chaos mode, under a name of its own. Its payouts move no money;
// they are left out of the overview's totals, the stuck list, the holds
// queue and reconciliation, and shown as drill payouts wherever they appear.
const DrillProvider = "drill"
