package search

import "time"

// period is the span of time a date names: 2020-01 is all of January 2020.
type period struct{ start, end time.Time }

func (p period) contains(t time.Time) bool { return !t.Before(p.start) && t.Before(p.end) }

// dateLayouts are the date forms a query may use, each with the length of
// the period it names; times without a zone are UTC.
var dateLayouts = []struct {
	layout string
	step   func(time.Time) time.Time
}{
	{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
	{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	{"2006-01-02T15", func(t time.Time) time.Time { return t.Add(time.Hour) }},
	{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
	{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
	{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
	{"2006-01-02T15:04:05.000", func(t time.Time) time.Time { return t.Add(time.Millisecond) }},
	{"2006-01-02T15:04:05.000Z07:00", func(t time.Time) time.Time { return t.Add(time.Millisecond) }},
}

// parseDate parses a date of a query into the period it names.
func parseDate(s string) (period, bool) {
	for _, l := range dateLayouts {
		if len(s) < 4 {
			break
		}
		if t, err := time.Parse(l.layout, s); err == nil {
			t = t.UTC()
			return period{start: t, end: l.step(t)}, true
		}
	}
	return period{}, false
}

// parseStored parses a timestamp stored in a profile (Auth0 writes
// 2017-11-02T23:34:03.803Z).
func parseStored(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
