package userport

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"time"
)

// User is one user of a tenant as the store keeps it: the Auth0 profile document
// (the JSON the Management API returns for the user, without secrets) plus the
// columns the store indexes.
type User struct {
	Tenant       string
	UserID       string // "auth0|" + 24 hex for database connections
	ConnectionID string // the id of the user's (first identity's) connection
	Email        string // lower-cased; unique within a connection when not empty
	Username     string // unique within a connection when not empty
	PasswordHash string // bcrypt; never part of Doc, never returned or exported
	CreatedAt    time.Time
	UpdatedAt    time.Time

	// Doc is the Auth0 profile as raw JSON: user_id, email, identities,
	// user_metadata, app_metadata, created_at, ... It is what GET /users/{id}
	// returns and what exports read. Its root "user_id" is UserID: exports
	// page on the user_id of the last document they read.
	Doc json.RawMessage
}

// MaxPasswordBytes is the longest password a user may have, in bytes:
// bcrypt, which hashes passwords, reads 72 bytes at most, and a longer one
// would be cut silently.
const MaxPasswordBytes = 72

// UserFilter selects users for offset paging (GET /api/v2/users).
type UserFilter struct {
	Tenant       string
	ConnectionID string // "" for all connections
	Offset       int
	Limit        int
}

// UserScan selects one keyset page of users in user_id order, for exports.
type UserScan struct {
	Tenant       string
	ConnectionID string // "" for all connections
	After        string // user_id to start after; "" for the first page
	Limit        int    // page size, > 0
}

// UserKey names what a user search can narrow its candidates by through an
// index (package search decides which key a query uses).
type UserKey uint8

// The keys. Key values are strings: the lower-cased email, the connection's
// id, and times in TimeFormat.
const (
	KeyUserID     UserKey = iota // user_id: the primary key
	KeyEmail                     // the lower-cased email
	KeyConnection                // the id of the user's connection (its first identity's)
	KeyCreatedAt                 // created_at
	KeyLastLogin                 // the document's last_login
)

// UserKeyScan selects one keyset page of a tenant's users whose key lies
// from From to To (both inclusive; no upper end unless HasTo), in (key,
// user_id) order. "" is below every key value.
type UserKeyScan struct {
	Tenant   string
	Key      UserKey
	From, To string
	HasTo    bool
	// AfterKey and AfterID are the key and user_id of the previous page's
	// last document (its UserPage.LastKey and Last); AfterID is "" for the
	// first page.
	AfterKey, AfterID string
	Limit             int // page size, > 0
}

// UserPage is one keyset page of stored profile documents, written end to
// end into one buffer that is reused from page to page.
type UserPage struct {
	Docs []byte
	Ends []int  // Ends[i] is where document i ends in Docs
	Last string // user_id of the last document: the next page's UserScan.After
	// LastKey is the key of the last document of a ScanUserKeys page: the
	// next page's UserKeyScan.AfterKey.
	LastKey string
}

// Len is the number of documents on the page.
func (p *UserPage) Len() int { return len(p.Ends) }

// Doc returns document i, valid until the page is reused.
func (p *UserPage) Doc(i int) []byte {
	start := 0
	if i > 0 {
		start = p.Ends[i-1]
	}
	return p.Docs[start:p.Ends[i]:p.Ends[i]]
}

// Reset empties the page, keeping its memory.
func (p *UserPage) Reset() {
	p.Docs, p.Ends, p.Last, p.LastKey = p.Docs[:0], p.Ends[:0], "", ""
}

// Append adds one document.
func (p *UserPage) Append(doc []byte) {
	p.Docs = append(p.Docs, doc...)
	p.Ends = append(p.Ends, len(p.Docs))
}

// UserLoader is a store with a faster way to write many new users than
// batches of CreateUsers.
type UserLoader interface {
	// LoadUsers writes every batch of batches, like CreateUsers would, about
	// expected users in all. The store may write them in one transaction
	// (all or none, other writers waiting meanwhile, and on PostgreSQL
	// readers of users too) when that is faster.
	LoadUsers(ctx context.Context, expected int, batches iter.Seq[[]*User]) error
}

// LoadUsers writes every batch of batches into store: through its own bulk
// load when it is a UserLoader, batch by batch with CreateUsers otherwise.
// A type that wraps a store must offer LoadUsers itself (calling this), or
// the wrapped store's bulk load is lost.
func LoadUsers(ctx context.Context, store UserStore, expected int, batches iter.Seq[[]*User]) error {
	if l, ok := store.(UserLoader); ok {
		return l.LoadUsers(ctx, expected, batches)
	}
	for b := range batches {
		if err := store.CreateUsers(ctx, b...); err != nil {
			return err
		}
	}
	return nil
}

// UserStore keeps users.
type UserStore interface {
	// CreateUsers inserts users in one transaction: all or none. A user whose
	// user_id, or whose email or username within its connection, exists already
	// fails the batch with ECONFLICT.
	CreateUsers(ctx context.Context, users ...*User) error
	// FindUser returns ENOTFOUND (detail "inexistent_user") when there is none.
	FindUser(ctx context.Context, tenant, userID string) (*User, error)
	// FindUsersByEmail returns the tenant's users whose (lower-cased)
	// email is exactly email, of every connection, in user_id order.
	FindUsersByEmail(ctx context.Context, tenant, email string) ([]*User, error)
	// ListUsers returns a page of users in user_id order (CountUsers gives
	// the total that matches the filter).
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)
	// CountUsers counts a tenant's users, of one connection when connectionID != "".
	CountUsers(ctx context.Context, tenant, connectionID string) (int64, error)
	// UpdateUser replaces the stored user (matched by tenant and user_id):
	// ENOTFOUND if absent, ECONFLICT on a unique email or username.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes a user: ENOTFOUND if absent.
	DeleteUser(ctx context.Context, tenant, userID string) error
	// ReadUsers replaces p's documents with one keyset page, in user_id
	// order, and sets p.Last. A page shorter than s.Limit is the last one.
	ReadUsers(ctx context.Context, s UserScan, p *UserPage) error
	// ScanUserKeys replaces p's documents with one keyset page of the users
	// s selects, in (key, user_id) order, and sets p.Last and p.LastKey. A
	// page shorter than s.Limit is the last one. It reads an index, never
	// the tenant's other users.
	ScanUserKeys(ctx context.Context, s UserKeyScan, p *UserPage) error
	// AnalyzeUsers brings the query planner's statistics of the users up to
	// date after a bulk write: the seed and load commands call it with
	// vacuum, an import job without. Without vacuum, a store analyzes only
	// when its statistics are stale by the rule of its own automatic
	// maintenance (which may be off); with vacuum, it also does the
	// maintenance that makes index-only reads skip the rows (PostgreSQL's
	// visibility map), whatever the rule.
	AnalyzeUsers(ctx context.Context, vacuum bool) error
}

// Check returns an error for a scan no store can run: a limit that is not
// positive, or an unknown key.
func (s UserKeyScan) Check() error {
	if s.Limit <= 0 {
		return fmt.Errorf("limit must be positive, got %d", s.Limit)
	}
	if s.Key > KeyLastLogin {
		return fmt.Errorf("unknown key %d", s.Key)
	}
	return nil
}

// KeyTime parses a time key value (TimeFormat, or any RFC 3339 time); ""
// is the zero Time, below every time.
func KeyTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, v)
}
