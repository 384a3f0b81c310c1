// Package exporttest holds the tests of package export that need real
// stores (SQLite, PostgreSQL) and seeded users: filtered exports checked
// against the full export, and their benchmarks.
package exporttest
