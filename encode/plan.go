package encode

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/fieldpath"
)

// member is one place in an NDJSON line: a leaf that holds a field's value, or
// an object or array of members.
type member struct {
	seg   fieldpath.Segment // its key in the parent object, or its index in the parent array
	key   []byte            // `"name":` for an object member; empty for an array element
	slot  int               // the field whose value a leaf holds; -1 for a container
	array bool              // for a container: an array, not an object
	kids  []*member
	field string // the field that made this member, for error messages
}

// plan lays out the members of an NDJSON line for fields.
func plan(fields []userport.Field, paths []fieldpath.Path) (*member, error) {
	root := &member{slot: -1}
	for i, f := range fields {
		var err error
		if f.ExportAs != "" {
			key := fieldpath.Segment{Key: f.ExportAs, Index: -1}
			_, err = root.add(key, i, fieldLabel(f))
		} else {
			err = root.addPath(paths[i].Segments(), i, f.Name)
		}
		if err != nil {
			return nil, err
		}
	}
	root.sort()
	return root, nil
}

func fieldLabel(f userport.Field) string {
	if f.ExportAs == "" {
		return f.Name
	}
	return fmt.Sprintf("%s (export_as %s)", f.Name, f.ExportAs)
}

// addPath adds the containers along segs and a leaf at its end.
func (m *member) addPath(segs []fieldpath.Segment, slot int, field string) error {
	for i, s := range segs[:len(segs)-1] {
		var err error
		if m, err = m.add(s, -1, field); err != nil {
			return err
		}
		next := segs[i+1].IsIndex()
		if len(m.kids) > 0 && m.array != next {
			return fmt.Errorf("fields %q and %q disagree: one indexes an array where the other names a key", m.field, field)
		}
		m.array = next
	}
	_, err := m.add(segs[len(segs)-1], slot, field)
	return err
}

// add returns m's kid at s, creating it if needed: a leaf of slot, or a
// container when slot is -1. A leaf may not share its place with anything.
func (m *member) add(s fieldpath.Segment, slot int, field string) (*member, error) {
	for _, k := range m.kids {
		if k.seg != s {
			continue
		}
		if slot >= 0 || k.slot >= 0 {
			return nil, fmt.Errorf("fields %q and %q both write %q: give one of them an export_as", k.field, field, s)
		}
		return k, nil
	}
	k := &member{seg: s, slot: slot, field: field}
	if !s.IsIndex() {
		k.key = memberKey(s.Key)
	}
	m.kids = append(m.kids, k)
	return k, nil
}

// memberKey returns `"name":` with name JSON-quoted.
func memberKey(name string) []byte { return append(quoteJSON(name), ':') }

// quoteJSON returns s as a JSON string, without escaping HTML's characters.
func quoteJSON(s string) []byte {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return []byte(strings.TrimSuffix(b.String(), "\n"))
}

// sort puts the elements of every array in index order.
func (m *member) sort() {
	if m.array {
		slices.SortFunc(m.kids, func(a, b *member) int { return cmp.Compare(a.seg.Index, b.seg.Index) })
	}
	for _, k := range m.kids {
		k.sort()
	}
}
