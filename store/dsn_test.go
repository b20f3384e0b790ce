package store

import "testing"

func TestWithBinaryParameters(t *testing.T) {
	for dsn, want := range map[string]string{
		"host=/tmp port=5432 dbname=payops":             "host=/tmp port=5432 dbname=payops binary_parameters=yes",
		"postgres://u:p@db:5432/payops?sslmode=disable": "postgres://u:p@db:5432/payops?binary_parameters=yes&sslmode=disable",
		"postgresql://db/payops":                        "postgresql://db/payops?binary_parameters=yes",
		"host=db binary_parameters=no":                  "host=db binary_parameters=no",
		"postgres://db/payops?binary_parameters=no":     "postgres://db/payops?binary_parameters=no",
		"": "binary_parameters=yes",
	} {
		if got := withBinaryParameters(dsn); got != want {
			t.Errorf("withBinaryParameters(%q) = %q, want %q", dsn, got, want)
		}
	}
}
