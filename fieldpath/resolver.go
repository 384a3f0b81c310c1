package fieldpath

import (
	"cmp"
	"slices"
)

// Resolver resolves many paths over one document in a single pass. The paths
// are merged into a tree, so each object on the way is walked once, keys that
// no path names are skipped without being looked into, and the walk of an
// object or array stops as soon as every path below it has resolved.
//
// A Resolver is immutable and safe for concurrent use.
type Resolver struct {
	root  node
	paths []Path
}

// node is one step of the tree: the paths that end here (their slots) and the
// steps below it.
type node struct {
	seg     Segment
	slots   []int   // indexes into the paths that end at this node
	keys    []*node // key children, in first-seen order
	indexes []*node // index children, in ascending index order
	total   int     // slots in this subtree, this node's included
}

// NewResolver returns a Resolver for paths. Value i of Resolve is paths[i];
// the same path may be listed more than once. Zero paths are never resolved.
func NewResolver(paths ...Path) *Resolver {
	r := &Resolver{paths: slices.Clone(paths)}
	for i, p := range paths {
		if !p.IsZero() {
			r.root.insert(p.segs, i)
		}
	}
	r.root.finish()
	return r
}

func (n *node) insert(segs []Segment, slot int) {
	if len(segs) == 0 {
		n.slots = append(n.slots, slot)
		return
	}
	n.child(segs[0]).insert(segs[1:], slot)
}

// child returns n's child for s, adding it if needed.
func (n *node) child(s Segment) *node {
	list := &n.keys
	if s.IsIndex() {
		list = &n.indexes
	}
	for _, c := range *list {
		if c.seg == s {
			return c
		}
	}
	c := &node{seg: s}
	*list = append(*list, c)
	return c
}

// finish sorts index children and counts slots, bottom up.
func (n *node) finish() int {
	slices.SortFunc(n.indexes, func(a, b *node) int { return cmp.Compare(a.seg.Index, b.seg.Index) })
	n.total = len(n.slots)
	for _, c := range n.keys {
		n.total += c.finish()
	}
	for _, c := range n.indexes {
		n.total += c.finish()
	}
	return n.total
}

// Len returns the number of paths; Resolve needs that many values.
func (r *Resolver) Len() int { return len(r.paths) }

// Paths returns a copy of the paths, in slot order.
func (r *Resolver) Paths() []Path { return slices.Clone(r.paths) }

// Resolve sets out[i] to the value of path i in doc, or to the zero Value
// (Type Absent) when it does not resolve, with the same rules as Path.Lookup.
// out must have at least Len() elements (it panics otherwise); its Raw slices
// alias doc. It allocates nothing.
//
// Resolve returns ErrInvalidJSON when doc is not a JSON object or the part of
// it that was read is malformed; out is then undefined. Malformed parts after
// the last path resolved are not noticed.
func (r *Resolver) Resolve(doc []byte, out []Value) error {
	out = out[:len(r.paths)]
	clear(out)
	if r.root.total == 0 {
		return nil
	}
	if _, end := r.root.walkObject(doc, skipSpace(doc, 0), out, true); end == -1 {
		return ErrInvalidJSON
	}
	return nil
}

// stopped is the end offset walkObject returns when it stopped early without
// finding the end of the object.
const stopped = -2

// visit reads the value at data[i] for n: it walks into it for n's children and
// records it in n's slots. It returns how many slots it filled and the offset
// past the value, or -1 when malformed.
func (n *node) visit(data []byte, i int, out []Value) (filled, end int) {
	var t ValueType
	switch {
	case i < len(data) && data[i] == '{' && len(n.keys) > 0:
		t = Object
		filled, end = n.walkObject(data, i, out, false)
	case i < len(data) && data[i] == '[' && len(n.indexes) > 0:
		t = Array
		filled, end = n.walkArray(data, i, out)
	default:
		t, end = valueAt(data, i)
	}
	if end < 0 || t == Absent {
		return filled, -1
	}
	for _, s := range n.slots {
		if out[s].Type == Absent {
			out[s] = Value{Raw: rawValue(data, i, end, t), Type: t}
			filled++
		}
	}
	return filled, end
}

// walkObject walks the object at data[i] and visits the members that n has
// children for. Once every slot below n is filled it skips the rest, or, with
// stop set, returns at once with end = stopped.
func (n *node) walkObject(data []byte, i int, out []Value, stop bool) (filled, end int) {
	if i = openAt(data, i, '{'); i < 0 {
		return 0, -1
	}
	want := n.total - len(n.slots)
	var buf [64]byte
	for {
		m, next, ok := nextMember(data, i)
		if !ok {
			return filled, next
		}
		c, ok := n.keyChild(m, buf[:])
		if !ok {
			return filled, -1
		}
		if c == nil {
			end = skipValue(data, next)
		} else {
			var got int
			got, end = c.visit(data, next, out)
			filled += got
		}
		if end >= 0 && c != nil && filled == want {
			if stop {
				return filled, stopped
			}
			return filled, containerEnd(data, end, 1)
		}
		var done bool
		if i, done = afterValue(data, end, '}'); done || i < 0 {
			return filled, i
		}
	}
}

// keyChild returns n's child for the member's key, or nil; ok=false when the
// key has a bad escape.
func (n *node) keyChild(m member, buf []byte) (c *node, ok bool) {
	k, ok := m.unescapedKey(buf)
	if !ok {
		return nil, false
	}
	for _, c := range n.keys {
		if c.seg.Key == string(k) {
			return c, true
		}
	}
	return nil, true
}

// walkArray walks the array at data[i] and visits the elements that n has
// children for; it skips the rest once past the last of them.
func (n *node) walkArray(data []byte, i int, out []Value) (filled, end int) {
	if i = openAt(data, i, '['); i < 0 || i >= len(data) {
		return 0, -1
	}
	if data[i] == ']' {
		return 0, i + 1
	}
	next := 0
	for index := 0; ; index++ {
		if c := n.indexes[next]; c.seg.Index == index {
			var got int
			got, end = c.visit(data, i, out)
			filled += got
			if next++; next == len(n.indexes) && end >= 0 {
				return filled, containerEnd(data, end, 1)
			}
		} else {
			end = skipValue(data, i)
		}
		var done bool
		if i, done = afterValue(data, end, ']'); done || i < 0 {
			return filled, i
		}
	}
}
