package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"payops/store"
)

// exportResult is the export of every payout, rounds times: payouts.csv
// through serve, and the same SELECT under a bare COPY through psql.
type exportResult struct {
	csv, copy []time.Duration
	bytes     int64 // of one CSV
	peakRSS   int64 // serve's, after all the rounds
}

func median(d []time.Duration) time.Duration { return percentile(slices.Clone(d), 50) }

// runExport starts a serve of its own (its peak RSS is the export's) and
// takes turns: GET /payouts.csv, read to its end and its lines counted,
// then psql running COPY (store.PayoutExportSQL's query) TO STDOUT into
// /dev/null.
func runExport(ctx context.Context, c config, cl *cluster, db string, rounds int) (exportResult, error) {
	var res exportResult
	query, args := store.PayoutExportSQL(store.PayoutQuery{})
	if len(args) > 0 {
		return res, fmt.Errorf("the export of every payout takes arguments (%v); COPY cannot", args)
	}
	p, client, err := findServe(ctx, c, cl.dsn(db), "export", 1)
	if err != nil {
		return res, err
	}
	defer p.stop()
	long := *client
	long.Timeout = 5 * time.Minute
	running, done := p.watch(ctx)
	defer done()
	for range rounds {
		took, lines, size, err := getCSV(running, &long, p.base+"/payouts.csv")
		if err != nil {
			return res, err
		}
		if lines != c.payouts+1 {
			return res, fmt.Errorf("payouts.csv has %d lines, want a header and %d payouts", lines, c.payouts)
		}
		res.csv, res.bytes = append(res.csv, took), size
		took, err = bareCopy(running, cl, db, "COPY ("+query+") TO STDOUT")
		if err != nil {
			return res, err
		}
		res.copy = append(res.copy, took)
		say("benchmark 6: payouts.csv %s, COPY %s", secs(res.csv[len(res.csv)-1]), secs(took))
	}
	if err := done(); err != nil {
		return res, err
	}
	res.peakRSS, err = p.peakRSS()
	return res, err
}

// getCSV gets url and reads it to its end, counting its lines.
func getCSV(ctx context.Context, client *http.Client, url string) (time.Duration, int, int64, error) {
	began := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, 0, fmt.Errorf("GET %s answered %d", url, resp.StatusCode)
	}
	buf := make([]byte, 256<<10)
	lines, size := 0, int64(0)
	var last []byte
	for {
		n, err := resp.Body.Read(buf)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		size += int64(n)
		if last = append(last, buf[max(0, n-512):n]...); len(last) > 1024 {
			last = append(last[:0], last[len(last)-512:]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, 0, err
		}
	}
	took := time.Since(began)
	last = bytes.TrimSuffix(last, []byte("\r\n"))
	if end := last[bytes.LastIndexByte(last, '\n')+1:]; bytes.HasPrefix(end, []byte("ERROR,")) {
		return 0, 0, 0, fmt.Errorf("payouts.csv ended with an ERROR row: %s", end)
	}
	return took, lines, size, nil
}

// bareCopy runs sql (a COPY ... TO STDOUT) with psql on database db, its
// output into /dev/null, and returns how long it took, connecting
// included.
func bareCopy(ctx context.Context, cl *cluster, db, sql string) (time.Duration, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	cmd := exec.CommandContext(ctx, filepath.Join(cl.pg.BinDir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", cl.socket, "-p", fmt.Sprint(cl.port), "-U", "postgres", "-d", db, "-c", sql)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = null, &stderr
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("psql COPY: %w: %s", err, stderr.Bytes())
	}
	return time.Since(began), nil
}
