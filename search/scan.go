package search

import (
	"context"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
)

// Scanner is what a scan of every match reads users from: a Store that
// also reads every user in user_id order (as exports do) and finds
// connections by id.
type Scanner interface {
	Store
	ReadUsers(ctx context.Context, s userport.UserScan, p *userport.UserPage) error
	FindConnection(ctx context.Context, tenant, id string) (*userport.Connection, error)
}

// ScanRequest selects the users a Matches reads.
type ScanRequest struct {
	Tenant       string
	Query        *Query // nil: every user
	ConnectionID string // "" for every connection
	PageSize     int    // candidates per store call (pageSize when 0)
	// Unfiltered: when no index serves the query (every user is read and
	// matched), Next leaves the pages unfiltered, and the caller filters
	// them (Matches.Filter), e.g. on a goroutine of its own beside the
	// reads (Matches.Unfiltered says whether it must).
	Unfiltered bool
}

// Matches reads every user of a tenant (of a connection) that matches a
// query, a page of candidates at a time: filtered exports read it, and Run.
//
// It reads what Run reads: the index ranges of the query's plan, range after
// range, each in (key, user_id) order; without a plan, every user (of the
// connection) in user_id order. A user that lies in several ranges is read
// from each, and kept in one only (see keyRange): a Matches holds no memory
// of the users it has read, whatever the ranges and the users. With a
// connection, a range of another connection is not read, and a candidate
// of another range is of the connection when its first identity's
// connection is the connection's name (as the search's connection field
// reads it).
type Matches struct {
	st       Store
	users    Scanner // reads every user when there is no plan (all)
	q        *Query
	r        ScanRequest
	connName string     // the connection's name, to check candidates of other ranges
	ranges   []keyRange // the plan's
	all      bool       // no plan: every user of the connection, by users.ReadUsers
	first    int        // the size of the first page of a range
	i        int        // the range being read
	scan     userport.UserKeyScan
	after    string // all: the last user_id read
	done     bool
}

// NewMatches returns the reader of the users r selects.
func NewMatches(ctx context.Context, st Scanner, r ScanRequest) (*Matches, error) {
	if r.PageSize <= 0 {
		r.PageSize = pageSize
	}
	m := &Matches{st: st, users: st, q: r.Query, r: r, first: r.PageSize}
	if r.Query == nil || r.Query.plan() == nil {
		m.all = true
		return m, nil
	}
	plan, err := resolvePlan(ctx, st, r.Tenant, r.Query)
	if err != nil {
		return nil, err
	}
	if r.ConnectionID != "" {
		c, err := st.FindConnection(ctx, r.Tenant, r.ConnectionID)
		switch {
		case userport.ErrorCode(err) == userport.ENOTFOUND:
			// Deleted meanwhile: its users, until they are purged, are
			// known by its id only.
			m.all = true
			return m, nil
		case err != nil:
			return nil, fmt.Errorf("search: %w", err)
		}
		m.connName = c.Name
	}
	for _, rg := range plan.ranges {
		if rg.key == userport.KeyConnection && r.ConnectionID != "" && rg.from != r.ConnectionID {
			continue // no user of the connection lies there
		}
		m.ranges = append(m.ranges, rg)
	}
	m.startRange()
	return m, nil
}

// newRunMatches returns the reader of Run's candidates: the ranges of the
// plan, the whole tenant's by primary key without one.
func newRunMatches(ctx context.Context, st Store, r Request) (*Matches, error) {
	plan, err := resolvePlan(ctx, st, r.Tenant, r.Query)
	if err != nil {
		return nil, err
	}
	m := &Matches{st: st, q: r.Query, r: ScanRequest{Tenant: r.Tenant, Query: r.Query, PageSize: pageSize},
		ranges: plan.ranges, first: pageSize}
	m.startRange()
	return m, nil
}

// startRange sets the scan of range i up.
func (m *Matches) startRange() {
	if m.i < len(m.ranges) {
		rg := m.ranges[m.i]
		m.scan = userport.UserKeyScan{Tenant: m.r.Tenant, Key: rg.key, From: rg.from, To: rg.to, HasTo: rg.hasTo, Limit: m.first}
	}
}

// Unfiltered reports whether Next returns every candidate, for the caller
// to filter with Filter (ScanRequest.Unfiltered, and no index plan).
func (m *Matches) Unfiltered() bool { return m.all && m.q != nil && m.r.Unfiltered }

// Filter keeps the matches among the candidates of a page Next returned
// unfiltered. It may run on another goroutine than Next, on another page.
func (m *Matches) Filter(p *userport.UserPage) {
	if m.Unfiltered() {
		m.q.Filter(p)
	}
}

// Next replaces p's documents with the matches among the next page of
// candidates and returns how many candidates it read: 0 when there are no
// more (the progress of a reader is in candidates, as it reads them, not
// in matches). p.Last and p.LastKey are of the last candidate read.
func (m *Matches) Next(ctx context.Context, p *userport.UserPage) (read int, err error) {
	for !m.done {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("search: %w", err)
		}
		if m.all {
			s := userport.UserScan{Tenant: m.r.Tenant, ConnectionID: m.r.ConnectionID, After: m.after, Limit: m.r.PageSize}
			if err := m.users.ReadUsers(ctx, s, p); err != nil {
				return 0, fmt.Errorf("search: %w", err)
			}
			read, m.after, m.done = p.Len(), p.Last, p.Len() < s.Limit
			if m.q != nil && !m.r.Unfiltered {
				m.q.Filter(p)
			}
			if read > 0 {
				return read, nil
			}
			continue
		}
		if m.i >= len(m.ranges) {
			m.done = true
			break
		}
		if err := m.st.ScanUserKeys(ctx, m.scan, p); err != nil {
			return 0, fmt.Errorf("search: %w", err)
		}
		read, i := p.Len(), m.i
		if read < m.scan.Limit {
			m.i++
			m.startRange()
		} else {
			m.scan.AfterKey, m.scan.AfterID, m.scan.Limit = p.LastKey, p.Last, m.r.PageSize
		}
		keep(p, func(doc []byte) bool { return m.keeps(i, doc) })
		if read > 0 {
			return read, nil
		}
	}
	p.Reset()
	return 0, nil
}

// keeps reports whether a candidate of range i is a match to keep.
func (m *Matches) keeps(i int, doc []byte) bool {
	if len(m.ranges) > 1 && !firstRange(m.ranges, i, doc) {
		return false // another range's, or no match
	}
	if m.q != nil && !m.q.Match(doc) {
		return false
	}
	return m.connName == "" || m.ranges[i].key == userport.KeyConnection ||
		gjson.GetBytes(doc, "identities.0.connection").Str == m.connName
}

// firstRange reports whether ranges[i] is the first range whose node doc
// matches.
func firstRange(ranges []keyRange, i int, doc []byte) bool {
	if n := ranges[i].node; n != nil && !n.match(doc) {
		return false
	}
	for _, rg := range ranges[:i] {
		if rg.node == nil || rg.node.match(doc) {
			return false
		}
	}
	return true
}

// Filter drops the documents of p that do not match q (p.Last and p.LastKey
// stay those of the page as read).
func (q *Query) Filter(p *userport.UserPage) { keep(p, q.Match) }

// keep drops the documents of p for which ok is false, moving the others
// forward in place.
func keep(p *userport.UserPage, ok func(doc []byte) bool) {
	w, kept, start := 0, 0, 0
	for _, end := range p.Ends {
		doc := p.Docs[start:end]
		start = end
		if ok(doc) {
			w += copy(p.Docs[w:], doc) // never over a document not read yet
			p.Ends[kept] = w
			kept++
		}
	}
	p.Docs, p.Ends = p.Docs[:w], p.Ends[:kept]
}
