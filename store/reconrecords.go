package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"

	"payops/payout"
)

// A run's records are kept as one document in recon_runs.records: JSON
// lines, one array per record in the order given,
//
//	["provider payout id", "reference", amount_minor, "CUR", "STATUS", fee_minor|null, "settled_at"|null]
//
// zstd-compressed (its fastest level: a million records, 60 MB of lines,
// take about as long as gzip's fastest and come to 1.7 MB, not 7). Runs
// made before December 2026 hold the lines gzip-compressed, and runs from
// before migration 00014 uncompressed (PostgreSQL has no gzip);
// unpackRecords reads all three.

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic = []byte{0x1f, 0x8b}
)

type packedRecords struct {
	data []byte
	err  error
}

// packRecords encodes and compresses records; Reconcile runs it beside the
// comparison. The lines go to the compressor in chunks of packChunk bytes:
// a write a line cost more than the compression itself.
func packRecords(records []payout.ProviderRecord) packedRecords {
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return packedRecords{err: err}
	}
	chunk := make([]byte, 0, packChunk+256)
	for i := range records {
		chunk = appendRecordLine(chunk, &records[i])
		if len(chunk) >= packChunk {
			if _, err := zw.Write(chunk); err != nil {
				return packedRecords{err: err}
			}
			chunk = chunk[:0]
		}
	}
	if _, err := zw.Write(chunk); err != nil {
		return packedRecords{err: err}
	}
	if err := zw.Close(); err != nil {
		return packedRecords{err: err}
	}
	return packedRecords{data: buf.Bytes()}
}

const packChunk = 64 << 10

// appendRecordLine appends r as one line of the records document.
func appendRecordLine(line []byte, r *payout.ProviderRecord) []byte {
	line = append(line, '[')
	line = appendJSONString(line, r.ProviderPayoutID)
	line = append(line, ',')
	line = appendJSONString(line, r.ReferenceID)
	line = append(line, ',')
	line = strconv.AppendInt(line, r.Amount.Minor, 10)
	line = append(line, ',')
	line = appendJSONString(line, r.Amount.Currency)
	line = append(line, ',')
	line = appendJSONString(line, string(r.Status))
	line = append(line, ',')
	if r.Fee != nil {
		line = strconv.AppendInt(line, *r.Fee, 10)
	} else {
		line = append(line, "null"...)
	}
	line = append(line, ',')
	if r.SettledAt != nil {
		line = append(line, '"')
		line = r.SettledAt.UTC().AppendFormat(line, time.RFC3339Nano)
		line = append(line, '"')
	} else {
		line = append(line, "null"...)
	}
	return append(line, "]\n"...)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	plain := true // ASCII with nothing to escape, as ids are
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\'
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	if !utf8.ValidString(s) {
		s = string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// unpackRecords decodes what packRecords made, what it made before (gzip),
// or the uncompressed lines of a run migrated from the old table.
func unpackRecords(data []byte) ([]payout.ProviderRecord, error) {
	var r io.Reader = bytes.NewReader(data)
	switch {
	case bytes.HasPrefix(data, zstdMagic):
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("provider records: %w", err)
		}
		defer zr.Close()
		r = zr
	case bytes.HasPrefix(data, gzipMagic):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("provider records: %w", err)
		}
		r = zr
	}
	var out []payout.ProviderRecord
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var row struct {
			ppid, ref, currency, status string
			amount                      int64
			fee                         *int64
			settled                     *time.Time
		}
		fields := []any{&row.ppid, &row.ref, &row.amount, &row.currency, &row.status, &row.fee, &row.settled}
		if err := json.Unmarshal(sc.Bytes(), &fields); err != nil {
			return nil, fmt.Errorf("provider record %d: %w", len(out)+1, err)
		}
		out = append(out, payout.ProviderRecord{ProviderPayoutID: row.ppid, ReferenceID: row.ref,
			Amount: payout.Money{Minor: row.amount, Currency: row.currency}, Status: payout.Status(row.status),
			Fee: row.fee, SettledAt: row.settled})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("provider records: %w", err)
	}
	return out, nil
}
