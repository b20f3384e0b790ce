package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// groupTotals are serve's webhook group histograms' sums and count, read
// from its /metrics: the difference of two readings gives the groups of
// a run, their mean size and time.
type groupTotals struct {
	groups, deliveries, seconds float64
}

// readGroups reads serve's group totals from base's /metrics.
func readGroups(ctx context.Context, base string) (groupTotals, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return groupTotals{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return groupTotals{}, fmt.Errorf("serve's /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return groupTotals{}, fmt.Errorf("serve's /metrics: %s", resp.Status)
	}
	var t groupTotals
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		var into *float64
		switch name {
		case "payops_webhook_group_deliveries_count":
			into = &t.groups
		case "payops_webhook_group_deliveries_sum":
			into = &t.deliveries
		case "payops_webhook_group_duration_seconds_sum":
			into = &t.seconds
		}
		if !ok || into == nil {
			continue
		}
		if *into, err = strconv.ParseFloat(value, 64); err != nil {
			return groupTotals{}, fmt.Errorf("serve's /metrics: %s: %w", name, err)
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return groupTotals{}, fmt.Errorf("serve's /metrics: %w", err)
	}
	if found != 3 {
		return groupTotals{}, fmt.Errorf("serve's /metrics: no webhook group histograms")
	}
	return t, nil
}

// since is the groups between an earlier reading and t: their mean size
// and mean time (0 when none).
func (t groupTotals) since(before groupTotals) (size float64, each time.Duration) {
	n := t.groups - before.groups
	if n <= 0 {
		return 0, 0
	}
	return (t.deliveries - before.deliveries) / n, time.Duration((t.seconds - before.seconds) / n * float64(time.Second))
}
