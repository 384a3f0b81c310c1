// Reads a Parquet file with DuckDB (@duckdb/node-api) and prints one JSON
// object: {columns: [{name, type}], rows: [[...]], chunks: [...]}. Timestamps
// are printed as milliseconds since the epoch, BIGINTs as strings, JSON
// columns as their text; chunks are parquet_metadata's rows (row group,
// column, compression, statistics). Run by internal/duckdbtest.
import { DuckDBInstance } from '@duckdb/node-api';

const path = process.argv[2];
const file = `'${path.replaceAll("'", "''")}'`;
const quote = (name) => `"${name.replaceAll('"', '""')}"`;

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const described = await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file})`);
const columns = described.getRowObjectsJson().map((c) => ({ name: c.column_name, type: c.column_type }));
const select = columns.map((c) => c.type.startsWith('TIMESTAMP') ? `epoch_ms(${quote(c.name)})` : quote(c.name));
const rows = await con.runAndReadAll(`SELECT ${select.join(', ') || '*'} FROM read_parquet(${file})`);
const chunks = await con.runAndReadAll(`SELECT row_group_id, row_group_num_rows, path_in_schema, compression,
  stats_min, stats_max, stats_null_count, encodings FROM parquet_metadata(${file}) ORDER BY row_group_id, column_id`);
process.stdout.write(JSON.stringify({ columns, rows: rows.getRowsJson(), chunks: chunks.getRowObjectsJson() }));
