package search

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"slices"

	"github.com/tidwall/gjson"

	"github.com/userport/userport"
)

// MaxResults is how deep search results page: Auth0 answers only the first
// 1000 users of a search (page * per_page + per_page <= 1000).
const MaxResults = 1000

// pageSize is how many candidates Run reads per store call.
const pageSize = 500

// Store is what Run reads users from.
type Store interface {
	ScanUserKeys(ctx context.Context, s userport.UserKeyScan, p *userport.UserPage) error
	FindConnectionByName(ctx context.Context, tenant, name string) (*userport.Connection, error)
}

// Request is one search: a page of the users of Tenant that match Query
// (nil: every user), in Sort's order.
type Request struct {
	Tenant        string
	Query         *Query
	Sort          Sort
	Offset, Limit int
	Totals        bool // count every match (else Result.Total is 0)
}

// Result is a page of a search.
type Result struct {
	Docs  [][]byte // the page's profile documents
	Total int      // the number of matches, when Request.Totals
}

// Run answers a search: it reads the candidates of the query's index plan
// (every user of the tenant when it has none), keeps those that match, and
// returns the page. It stops reading early when the candidates come in the
// result's order and no total is asked for.
func Run(ctx context.Context, st Store, r Request) (*Result, error) {
	m, err := newRunMatches(ctx, st, r)
	if err != nil {
		return nil, err
	}
	c := newCollector(r, len(m.ranges) == 1 && inOrder(m.ranges[0], r.Sort))
	if c.ordered && !r.Totals {
		m.first = min(pageSize, max(r.Offset+r.Limit, 50)) // most pages need no more
		m.startRange()
	}
	var page userport.UserPage
	for {
		n, err := m.Next(ctx, &page)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return c.result(), nil
		}
		for i := range page.Len() {
			doc := page.Doc(i)
			if !c.add(gjson.GetBytes(doc, "user_id").Str, doc) {
				return c.result(), nil
			}
		}
	}
}

// resolvePlan returns the plan of q (nil: every user), the whole tenant
// without one, with connection names replaced by ids (a name no connection
// has: no range).
func resolvePlan(ctx context.Context, st Store, tenant string, q *Query) (*keyPlan, error) {
	var plan *keyPlan
	if q != nil {
		plan = q.plan()
	}
	if plan == nil {
		return &keyPlan{ranges: []keyRange{{key: userport.KeyUserID}}}, nil
	}
	var ranges []keyRange
	for _, rg := range plan.ranges {
		if rg.key != userport.KeyConnection {
			ranges = append(ranges, rg)
			continue
		}
		c, err := st.FindConnectionByName(ctx, tenant, rg.from)
		if userport.ErrorCode(err) == userport.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		ranges = append(ranges, keyRange{key: rg.key, from: c.ID, to: c.ID, hasTo: true, node: rg.node})
	}
	return &keyPlan{ranges: ranges, cost: plan.cost}, nil
}

// inOrder reports whether a scan of one range comes in the order of sort:
// (key, user_id) order is user_id order within one key value.
func inOrder(rg keyRange, s Sort) bool {
	if s.byUserID() {
		return rg.key == userport.KeyUserID || (rg.hasTo && rg.from == rg.to)
	}
	return !s.desc && ((rg.key == userport.KeyCreatedAt && s.field.name == "created_at") ||
		(rg.key == userport.KeyLastLogin && s.field.name == "last_login"))
}

// hit is one matching document and its sort value.
type hit struct {
	uid string
	doc []byte
	val sortValue
}

// collector keeps a search's page: in order, the matches from Offset on;
// otherwise the best Offset+Limit matches so far, in a heap whose top is
// the worst of them.
type collector struct {
	r       Request
	ordered bool
	total   int
	page    [][]byte
	best    hitHeap
	done    bool // the page is full and no total is asked for
}

func newCollector(r Request, ordered bool) *collector {
	return &collector{r: r, ordered: ordered, best: hitHeap{sort: r.Sort}}
}

// add takes one match; it returns false when reading may stop.
func (c *collector) add(uid string, doc []byte) bool {
	c.total++
	if c.ordered {
		if c.total > c.r.Offset && len(c.page) < c.r.Limit {
			c.page = append(c.page, bytes.Clone(doc))
		}
		c.done = len(c.page) >= c.r.Limit && !c.r.Totals
		return !c.done
	}
	h := hit{uid: uid, val: c.r.Sort.valueOf(doc)}
	k := c.r.Offset + c.r.Limit
	if len(c.best.hits) < k {
		h.doc = bytes.Clone(doc)
		heap.Push(&c.best, h)
	} else if k > 0 && c.best.less(h, c.best.hits[0]) {
		h.doc = bytes.Clone(doc)
		c.best.hits[0] = h
		heap.Fix(&c.best, 0)
	}
	return true
}

// result returns the page.
func (c *collector) result() *Result {
	res := &Result{Docs: c.page}
	if c.r.Totals {
		res.Total = c.total
	}
	if c.ordered {
		return res
	}
	hits := slices.Clone(c.best.hits)
	slices.SortFunc(hits, func(a, b hit) int {
		if c.best.less(a, b) {
			return -1
		}
		return 1
	})
	for i := c.r.Offset; i < len(hits); i++ {
		res.Docs = append(res.Docs, hits[i].doc)
	}
	return res
}

// hitHeap is a max-heap of hits in the sort's order: its top is the worst.
type hitHeap struct {
	hits []hit
	sort Sort
}

// less orders two hits: by the sort's value (descending if asked; missing
// values last either way), then by user_id.
func (h *hitHeap) less(a, b hit) bool {
	if h.sort.field != nil {
		c := compareValues(a.val, b.val)
		if h.sort.desc && a.val.has && b.val.has {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return a.uid < b.uid
}

func (h *hitHeap) Len() int           { return len(h.hits) }
func (h *hitHeap) Less(i, j int) bool { return h.less(h.hits[j], h.hits[i]) }
func (h *hitHeap) Swap(i, j int)      { h.hits[i], h.hits[j] = h.hits[j], h.hits[i] }
func (h *hitHeap) Push(x any)         { h.hits = append(h.hits, x.(hit)) }
func (h *hitHeap) Pop() any {
	x := h.hits[len(h.hits)-1]
	h.hits = h.hits[:len(h.hits)-1]
	return x
}
