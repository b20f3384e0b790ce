package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"payops/store"
	"payops/store/pgcluster"
)

// cluster is the benchmarks' private PostgreSQL: pgcluster's, like the
// tests', with durability off (fsync, synchronous_commit and
// full_page_writes), in a folder of its own.
type cluster struct {
	pg     *pgcluster.Cluster
	socket string
	port   int
	admin  *sqlx.DB
	keep   bool // leave each benchmark's database at its end (-keep)
}

func startCluster(dir string) (*cluster, error) {
	pg, err := pgcluster.New(dir, true)
	if err != nil {
		return nil, err
	}
	dsn, err := pg.Start("postgres")
	if err != nil {
		return nil, err
	}
	c := &cluster{pg: pg}
	for _, kv := range strings.Fields(dsn) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "host":
			c.socket = v
		case "port":
			c.port, _ = strconv.Atoi(v)
		}
	}
	if c.admin, err = sqlx.Open("postgres", dsn); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cluster) dsn(db string) string { return c.pg.DSN(c.port, db) }

// freshDB drops database name if it is left from an earlier run, creates
// it, and migrates it with payops' migrations.
func (c *cluster) freshDB(ctx context.Context, name string) (*store.Store, error) {
	if err := c.dropDB(ctx, name); err != nil {
		return nil, err
	}
	if _, err := c.admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	st, err := store.Open(c.dsn(name))
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate %s: %w", name, err)
	}
	return st, nil
}

// done drops database name at the end of its benchmark, unless -keep asks
// to leave it for a look with psql (EXPLAIN).
func (c *cluster) done(ctx context.Context, name string) error {
	if c.keep {
		say("kept database %s", name)
		return nil
	}
	return c.dropDB(ctx, name)
}

func (c *cluster) dropDB(ctx context.Context, name string) error {
	if _, err := c.admin.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// settings describes the cluster for the report.
func (c *cluster) settings(ctx context.Context) (string, error) {
	var version, buffers, fsync, syncCommit, fpw string
	for _, s := range []struct {
		name string
		dst  *string
	}{{"server_version", &version}, {"shared_buffers", &buffers}, {"fsync", &fsync},
		{"synchronous_commit", &syncCommit}, {"full_page_writes", &fpw}} {
		if err := c.admin.GetContext(ctx, s.dst, `SELECT current_setting($1)`, s.name); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("PostgreSQL %s, private cluster, durability off (fsync=%s, synchronous_commit=%s, full_page_writes=%s), shared_buffers=%s",
		version, fsync, syncCommit, fpw, buffers), nil
}
