package store

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"reflect"
	"testing"
	"time"

	"payops/payout"
)

// The records go in and come out as they were, odd text included.
func TestPackedRecordsRoundTrip(t *testing.T) {
	fee := int64(500)
	settled := time.Date(2026, 11, 20, 10, 30, 0, 123000000, time.UTC)
	records := []payout.ProviderRecord{
		{ProviderPayoutID: "pp-1", ReferenceID: "R1", Amount: payout.Money{Minor: 100000, Currency: "INR"},
			Status: payout.Succeeded, Fee: &fee, SettledAt: &settled},
		{ProviderPayoutID: "", ReferenceID: `quote " back \ tab	nl
 <b>&`, Amount: payout.Money{Minor: -1, Currency: "USD"}, Status: payout.Failed},
		{ProviderPayoutID: "naïve ₹ \x01", ReferenceID: "R3", Amount: payout.Money{Minor: 9223372036854775807, Currency: "IDR"},
			Status: payout.Reversed},
	}
	pr := packRecords(records)
	if pr.err != nil {
		t.Fatal(pr.err)
	}
	got, err := unpackRecords(pr.data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, records) {
		t.Fatalf("got  %+v\nwant %+v", got, records)
	}
	// Invalid UTF-8 is kept as JSON can: replaced, not lost or failing.
	bad := packRecords([]payout.ProviderRecord{{ReferenceID: "a\xffb", Amount: payout.Money{Currency: "INR"}}})
	if got, err := unpackRecords(bad.data); err != nil || got[0].ReferenceID != "a\uFFFDb" {
		t.Fatalf("invalid UTF-8: %+v %v", got, err)
	}
	// Many records: the lines reach the compressor in several chunks.
	many := make([]payout.ProviderRecord, 5000)
	for i := range many {
		many[i] = records[i%len(records)]
		many[i].ReferenceID = fmt.Sprintf("%s-%d", many[i].ReferenceID, i)
	}
	pr = packRecords(many)
	if got, err := unpackRecords(pr.data); err != nil || !reflect.DeepEqual(got, many) {
		t.Fatalf("5,000 records: %d back, %v", len(got), err)
	}
	if got, err := unpackRecords(nil); err != nil || len(got) != 0 {
		t.Fatalf("no records: %+v %v", got, err)
	}
}

// UnpackRecords is unpackRecords, for the external tests.
var UnpackRecords = unpackRecords

// Runs packed before the records went to zstd hold gzip-compressed lines;
// they read as they were written.
func TestGzipRecordsStillRead(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("[\"pp-1\",\"R1\",100000,\"INR\",\"SUCCEEDED\",500,\"2026-11-20T10:30:00Z\"]\n" +
		"[\"\",\"R2\",-1,\"USD\",\"FAILED\",null,null]\n"))
	zw.Close()
	got, err := unpackRecords(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	fee := int64(500)
	settled := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	want := []payout.ProviderRecord{
		{ProviderPayoutID: "pp-1", ReferenceID: "R1", Amount: payout.Money{Minor: 100000, Currency: "INR"},
			Status: payout.Succeeded, Fee: &fee, SettledAt: &settled},
		{ReferenceID: "R2", Amount: payout.Money{Minor: -1, Currency: "USD"}, Status: payout.Failed},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if !bytes.HasPrefix(packRecords(want).data, zstdMagic) {
		t.Fatal("packRecords does not write zstd")
	}
}
