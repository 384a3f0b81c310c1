package search

import (
	"unicode/utf8"

	"github.com/userport/userport"
)

// keyPlan is where a query's candidates lie: the users in one of the
// ranges. Every document that matches the query is among them; the query
// itself still decides (ranges may hold more).
type keyPlan struct {
	ranges []keyRange
	cost   int // lower reads fewer users
}

// keyRange is an inclusive range of one key's values ("" is the lowest; of
// KeyConnection: connection names, resolved by Run).
//
// node is the clause of the query the range was planned for: every document
// that matches node lies in the range, and every document that matches the
// query matches the node of one of its plan's ranges. So a user that lies
// in several ranges is taken from the first range whose node it matches, and
// only from there (firstRange): a plan of many ranges needs no memory of the
// users it has seen.
type keyRange struct {
	key      userport.UserKey
	from, to string
	hasTo    bool
	node     node // nil: the whole tenant
}

// Costs of plans: a user_id, an email, a prefix or range of them, a time
// range, a connection (which may hold most of the tenant).
const (
	costID = iota + 1
	costEmail
	costPrefix
	costTime
	costConnection
)

// fieldKeys are the fields that have an index.
var fieldKeys = map[string]userport.UserKey{
	"user_id": userport.KeyUserID, "email": userport.KeyEmail, "connection": userport.KeyConnection,
	"identities.connection": userport.KeyConnection, "created_at": userport.KeyCreatedAt,
	"last_login": userport.KeyLastLogin,
}

// plan returns the best index plan of q, or nil: every user is a candidate.
func (q *Query) plan() *keyPlan { return planBool(q.root) }

func planNode(n node) *keyPlan {
	switch n := n.(type) {
	case *boolNode:
		return planBool(n)
	case *termNode:
		return planTerm(n)
	case *rangeNode:
		return planRange(n)
	}
	return nil
}

// planBool picks the cheapest plan of the required clauses; without any,
// one optional clause must match: the union of theirs, when all have one.
func planBool(b *boolNode) *keyPlan {
	var best *keyPlan
	hasMust := false
	var shoulds []node
	for i, c := range b.clauses {
		switch b.occurs[i] {
		case must:
			hasMust = true
			if p := planNode(c); p != nil && (best == nil || p.cost < best.cost) {
				best = p
			}
		case should:
			shoulds = append(shoulds, c)
		}
	}
	if hasMust || len(shoulds) == 0 {
		return best
	}
	var union *keyPlan
	for _, c := range shoulds {
		p := planNode(c)
		if p == nil {
			return nil
		}
		if union == nil {
			union = &keyPlan{}
		}
		union.ranges, union.cost = append(union.ranges, p.ranges...), max(union.cost, p.cost)
	}
	return union
}

// planTerm plans an exact value, a date period or a prefix of an indexed field.
func planTerm(n *termNode) *keyPlan {
	if n.field == nil || n.field.domain {
		return nil
	}
	key, ok := fieldKeys[n.field.name]
	switch {
	case !ok:
		return nil
	case key == userport.KeyCreatedAt || key == userport.KeyLastLogin:
		if n.period == nil {
			return nil
		}
		return &keyPlan{cost: costTime, ranges: []keyRange{
			{key: key, from: userport.FormatTime(n.period.start), to: userport.FormatTime(n.period.end), hasTo: true, node: n}}}
	case n.glob != nil:
		prefix, ok := n.glob.prefix()
		if !ok || prefix == "" || key == userport.KeyConnection {
			return nil
		}
		to, hasTo := after(prefix)
		return &keyPlan{cost: costPrefix, ranges: []keyRange{{key: key, from: prefix, to: to, hasTo: hasTo, node: n}}}
	}
	cost := map[userport.UserKey]int{userport.KeyUserID: costID, userport.KeyEmail: costEmail,
		userport.KeyConnection: costConnection}[key]
	return &keyPlan{cost: cost, ranges: []keyRange{{key: key, from: n.text, to: n.text, hasTo: true, node: n}}}
}

// planRange plans a date range of created_at or last_login, or a string
// range of user_id or email.
func planRange(n *rangeNode) *keyPlan {
	key, ok := fieldKeys[n.field.name]
	if !ok || key == userport.KeyConnection {
		return nil
	}
	r := keyRange{key: key, node: n}
	switch {
	case n.kind == kDate:
		if !n.lo.open {
			r.from = userport.FormatTime(n.loT)
		}
		if !n.hi.open {
			r.to, r.hasTo = userport.FormatTime(n.hiT), true
		}
	case n.kind == kString && (key == userport.KeyUserID || key == userport.KeyEmail):
		r.from, r.to, r.hasTo = n.loS, n.hiS, !n.hi.open
	default:
		return nil
	}
	return &keyPlan{cost: costTime, ranges: []keyRange{r}}
}

// after returns a string above every string that starts with prefix (its
// last character's successor), if there is one.
func after(prefix string) (string, bool) {
	r, size := utf8.DecodeLastRuneInString(prefix)
	switch {
	case r == utf8.RuneError || r == utf8.MaxRune:
		return "", false
	case r == 0xD7FF:
		r = 0xE000
	default:
		r++
	}
	return prefix[:len(prefix)-size] + string(r), true
}
