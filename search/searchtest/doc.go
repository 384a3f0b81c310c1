// Package searchtest holds the tests of package search that need real
// stores (SQLite, PostgreSQL) and seeded users: the table of queries
// checked against plain filters, and the benchmarks on a seeded file. They
// live apart so that fuzzing package search does not build the stores.
package searchtest
