// Package duckdbtest reads Parquet files with DuckDB, an independent reader,
// for tests: sdktest/duckdb-parquet.mjs through Node and @duckdb/node-api
// (installed by `npm ci` in sdktest/, as .ci/run does).
package duckdbtest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/userport/userport/internal/testutil"
)

// Table is what DuckDB read from a Parquet file.
type Table struct {
	Columns []Column
	// Rows hold JSON values as @duckdb/node-api gives them: VARCHAR and
	// JSON columns as strings, BOOLEAN as bools, BIGINT as strings,
	// timestamps as milliseconds since the epoch (strings), NULL as nil.
	Rows [][]any
	// Chunks are parquet_metadata's rows: one per row group and column.
	Chunks []Chunk
}

// Column is a column's name and DuckDB type ("VARCHAR", "TIMESTAMP WITH
// TIME ZONE", ...).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Chunk is one column chunk of the file, as parquet_metadata shows it.
type Chunk struct {
	RowGroup    int64   `json:"row_group_id,string"`
	Rows        int64   `json:"row_group_num_rows,string"`
	Path        string  `json:"path_in_schema"`
	Compression string  `json:"compression"`
	Min         *string `json:"stats_min"`
	Max         *string `json:"stats_max"`
	Nulls       *string `json:"stats_null_count"`
	Encodings   string  `json:"encodings"`
}

// Read reads the Parquet file at path with DuckDB. Without node or the
// installed @duckdb/node-api it skips the test, or fails it when
// USERPORT_TEST_NODE_SDK=1 (CI).
func Read(t testing.TB, path string) *Table {
	t.Helper()
	dir := testutil.NodePackage(t, "the DuckDB check", "@duckdb/node-api", "")
	cmd := exec.Command("node", filepath.Join(dir, "duckdb-parquet.mjs"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb-parquet.mjs %s: %v\n%s", path, err, stderr.Bytes())
	}
	var tab Table
	if err := json.Unmarshal(out, &tab); err != nil {
		t.Fatalf("duckdb-parquet.mjs printed no table: %v", err)
	}
	return &tab
}
