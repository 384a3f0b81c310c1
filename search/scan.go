package search

import (
	"context"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
)

// Scanner is what Scan reads users from: a Store that also reads every user
// in user_id order (as exports do) and finds connections by id.
type Scanner interface {
	Store
	ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error
	FindConnection(ctx context.Context, tenant, id string) (*userport.Connection, error)
}

// ScanRequest selects the users Scan reads.
type ScanRequest struct {
	Tenant       string
	Query        *Query // nil: every user
	ConnectionID string // "" for every connection
	PageSize     int    // users per store call in user_id order (pageSize when 0)
}

// Scan calls fn with each candidate of a query, the users it reads, and
// whether that user is a match, until fn returns false. Every user of the
// tenant (of ConnectionID's connection, when given) that matches the query
// is a match once, and nothing else is. Without a query, every user is a
// match.
//
// Scan reads what Run reads: the index ranges of the query's plan, range
// after range, each in (key, user_id) order, and without a plan, every user
// (of the connection) in user_id order. A user that lies in several ranges is
// read from each, and is a match in one only (see keyRange): the memory Scan
// holds is one page, whatever the ranges and the users. With ConnectionID,
// a range of another connection is not read, and a candidate of another
// range is of the connection when its first identity's connection is the
// connection's name (as the search's connection field reads it).
//
// The documents fn sees are valid until it returns.
func Scan(ctx context.Context, st Scanner, r ScanRequest, fn func(doc []byte, match bool) bool) error {
	if r.PageSize <= 0 {
		r.PageSize = pageSize
	}
	var plan *keyPlan
	if r.Query != nil && r.Query.plan() != nil {
		var err error
		if plan, err = resolvePlan(ctx, st, r.Tenant, r.Query); err != nil {
			return err
		}
	}
	connName := ""
	if plan != nil && r.ConnectionID != "" {
		c, err := st.FindConnection(ctx, r.Tenant, r.ConnectionID)
		switch {
		case userport.ErrorCode(err) == userport.ENOTFOUND:
			// Deleted meanwhile: its users, until they are purged, are
			// known by its id only.
			plan = nil
		case err != nil:
			return fmt.Errorf("search: %w", err)
		default:
			connName = c.Name
		}
	}
	if plan == nil {
		return scanAll(ctx, st, r, fn)
	}
	var ranges []keyRange
	for _, rg := range plan.ranges {
		if rg.key == userport.KeyConnection && r.ConnectionID != "" && rg.from != r.ConnectionID {
			continue // no user of the connection lies there
		}
		ranges = append(ranges, rg)
	}
	return eachCandidate(ctx, st, r.Tenant, ranges, pageSize, func(i int, _ string, doc []byte, dup bool) bool {
		ok := !dup && r.Query.Match(doc)
		if ok && connName != "" && ranges[i].key != userport.KeyConnection {
			ok = gjson.GetBytes(doc, "identities.0.connection").Str == connName
		}
		return fn(doc, ok)
	})
}

// scanAll calls fn with every user of the request's tenant and connection,
// in user_id order.
func scanAll(ctx context.Context, st Scanner, r ScanRequest, fn func(doc []byte, match bool) bool) error {
	var page userport.UserPage
	s := userport.UserScan{Tenant: r.Tenant, ConnectionID: r.ConnectionID, Limit: r.PageSize}
	for {
		if err := st.ReadUsers(ctx, s, &page); err != nil {
			return fmt.Errorf("search: %w", err)
		}
		for i := range page.Len() {
			doc := page.Doc(i)
			if !fn(doc, r.Query == nil || r.Query.Match(doc)) {
				return nil
			}
		}
		if page.Len() < s.Limit {
			return nil
		}
		s.After = page.Last
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("search: %w", err)
		}
	}
}
