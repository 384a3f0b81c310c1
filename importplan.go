package userport

import (
	"context"
	"fmt"
)

// importPlan decides what each user of one import batch does, in file
// order. With upsert it decides over a model of the users the batch's keys
// touch: the stored ones, looked up in a few queries (one per key, not one
// per user), changed as the batch's earlier users change them; the writes
// it decides are then made in two statements' worth: the updates, in
// order, then the inserts (no insert takes a key an update frees: it would
// have collided in file order). Without upsert every user is an insert.
type importPlan struct {
	tx ImportTx
	b  *ImportBatch

	rows   map[string]*ImportRow        // by user_id: every user of the tenant known, as the batch left it
	holder map[string]map[string]string // email or username -> the user_id of the user of the connection holding it
	loaded map[string]map[string]bool   // per key, the values looked up

	inserts, updates []plannedWrite
	issues           []ImportError
	counts           ImportSummary
}

// plannedWrite is a write the plan decided, with the user it comes from.
type plannedWrite struct {
	u *ImportUser
	w ImportWrite
}

// newImportPlan returns an empty plan of b.
func newImportPlan(tx ImportTx, b *ImportBatch) *importPlan {
	p := &importPlan{tx: tx, b: b, rows: map[string]*ImportRow{}, holder: map[string]map[string]string{}, loaded: map[string]map[string]bool{}}
	for _, k := range importKeys {
		p.holder[k], p.loaded[k] = map[string]string{}, map[string]bool{}
	}
	return p
}

// run decides every user of the batch, then writes them.
func (p *importPlan) run(ctx context.Context) error {
	if len(p.b.Users) == 0 {
		return nil
	}
	if !p.b.Upsert {
		p.insertAll()
		return p.write(ctx)
	}
	if err := p.preload(ctx); err != nil {
		return err
	}
	for i := range p.b.Users {
		if err := ctx.Err(); err != nil {
			return err
		}
		u := &p.b.Users[i]
		if err := p.decide(ctx, u); err != nil {
			return fmt.Errorf("record %d: %w", u.Record, err)
		}
	}
	return p.write(ctx)
}

// insertAll plans the insert of every user, without looking anything up:
// without upsert a user is inserted unless a key of it is taken, by a
// stored user or by an earlier user of the file, which is what the store's
// unique keys decide as it inserts in file order; the inserts refused are
// then told apart by the user holding the key (see refused).
func (p *importPlan) insertAll() {
	p.inserts = make([]plannedWrite, len(p.b.Users))
	for i := range p.b.Users {
		u := &p.b.Users[i]
		p.inserts[i] = plannedWrite{u: u, w: p.written(u, u.User)}
	}
}

// preload looks up the stored users holding any key of the batch's users.
func (p *importPlan) preload(ctx context.Context) error {
	for _, key := range importKeys {
		values := make([]string, 0, len(p.b.Users))
		for i := range p.b.Users {
			values = append(values, importKey(p.b.Users[i].User, key))
		}
		if err := p.load(ctx, key, values); err != nil {
			return err
		}
	}
	return nil
}

// load looks up the stored holders of the values of key not looked up yet.
// A user known already stays as the batch left it.
func (p *importPlan) load(ctx context.Context, key string, values []string) error {
	var ask []string
	for _, v := range values {
		if v != "" && !p.loaded[key][v] {
			p.loaded[key][v] = true
			ask = append(ask, v)
		}
	}
	if len(ask) == 0 {
		return nil
	}
	rows, err := p.tx.FindImportRows(ctx, p.b, key, ask)
	if err != nil {
		return fmt.Errorf("find users by %s: %w", key, err)
	}
	for i := range rows {
		if p.rows[rows[i].User.UserID] == nil {
			p.put(&rows[i])
		}
	}
	return nil
}

// put makes r known, holding its keys in the batch's connection.
func (p *importPlan) put(r *ImportRow) {
	p.rows[r.User.UserID] = r
	if r.User.ConnectionID != p.b.ConnectionID {
		return
	}
	for _, key := range importKeys[1:] {
		if v := importKey(r.User, key); v != "" {
			p.holder[key][v] = r.User.UserID
		}
	}
}

// release forgets that r holds its email and username.
func (p *importPlan) release(r *ImportRow) {
	for _, key := range importKeys[1:] {
		if v := importKey(r.User, key); v != "" && p.holder[key][v] == r.User.UserID {
			delete(p.holder[key], v)
		}
	}
}

// find returns the user that holds value of key as the batch left it, nil
// for none.
func (p *importPlan) find(ctx context.Context, key, value string) (*ImportRow, error) {
	if err := p.load(ctx, key, []string{value}); err != nil {
		return nil, err
	}
	id := value
	if key != ImportKeyUserID {
		id = p.holder[key][value]
	}
	return p.rows[id], nil
}

// probe returns the stored user that holds value of key now, nil for none:
// what a write the store refused collided with.
func (p *importPlan) probe(ctx context.Context, key, value string) (*ImportRow, error) {
	rows, err := p.tx.FindImportRows(ctx, p.b, key, []string{value})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// finder looks up the user holding a key's value.
type finder func(ctx context.Context, key, value string) (*ImportRow, error)

// match finds the user that u updates (upsert): the same user_id in the
// tenant, else the same email in the connection. key says which matched.
func (p *importPlan) match(ctx context.Context, u *User) (r *ImportRow, key string, err error) {
	if r, err = p.find(ctx, ImportKeyUserID, u.UserID); err != nil || r != nil || u.Email == "" {
		return r, ImportKeyUserID, err
	}
	r, err = p.find(ctx, ImportKeyEmail, u.Email)
	return r, ImportKeyEmail, err
}

// taken returns the first key of u (user_id, email, username) that another
// user has, and that user; nil when none does. A user being updated (self,
// its user_id) keeps its own user_id, and has its own email and username.
func taken(ctx context.Context, find finder, u *User, self string, updating bool) (string, *ImportRow, error) {
	for _, key := range importKeys {
		v := importKey(u, key)
		if v == "" || updating && key == ImportKeyUserID {
			continue
		}
		r, err := find(ctx, key, v)
		if err != nil {
			return "", nil, err
		}
		if r != nil && (key == ImportKeyUserID || r.User.UserID != self) {
			return key, r, nil
		}
	}
	return "", nil, nil
}

// decide plans u: an update of the user it matches, an insert, or an issue.
func (p *importPlan) decide(ctx context.Context, u *ImportUser) error {
	if p.b.Upsert {
		m, key, err := p.match(ctx, u.User)
		if err != nil {
			return err
		}
		if m != nil {
			return p.decideUpdate(ctx, u, m, key)
		}
	}
	key, r, err := taken(ctx, p.find, u.User, u.User.UserID, false)
	if err != nil || r != nil {
		p.collide(u, key, r)
		return err
	}
	w := p.written(u, u.User)
	p.put(&ImportRow{User: w.User, ImportJob: p.b.JobID})
	p.inserts = append(p.inserts, plannedWrite{u: u, w: w})
	return nil
}

// decideUpdate plans the update of m, the user u matched by key.
func (p *importPlan) decideUpdate(ctx context.Context, u *ImportUser, m *ImportRow, key string) error {
	switch {
	case m.ImportJob == p.b.JobID:
		p.issue(u, ImportDuplicate(key))
		return nil
	case m.User.ConnectionID != p.b.ConnectionID:
		p.issue(u, ImportCollision(ImportKeyUserID))
		return nil
	}
	x, err := u.Update(m.User)
	if err != nil {
		return fmt.Errorf("update user %s: %w", m.User.UserID, err)
	}
	w := p.written(u, x)
	w.User.UserID = m.User.UserID
	key, r, err := taken(ctx, p.find, w.User, m.User.UserID, true)
	if err != nil || r != nil {
		p.collide(u, key, r)
		return err
	}
	p.release(m)
	m.User, m.ImportJob = w.User, p.b.JobID
	p.put(m)
	p.updates = append(p.updates, plannedWrite{u: u, w: w})
	return nil
}

// written is x as the batch writes it for u: in the batch's connection.
func (p *importPlan) written(u *ImportUser, x *User) ImportWrite {
	c := *x
	c.ConnectionID = p.b.ConnectionID
	return ImportWrite{User: &c, CustomPasswordHash: u.CustomPasswordHash}
}

// collide records the issue of u colliding on key with r (nothing for no r).
func (p *importPlan) collide(u *ImportUser, key string, r *ImportRow) {
	if r != nil {
		p.issue(u, CollisionIssue(key, r.ImportJob == p.b.JobID, p.b.Upsert))
	}
}

// issue records u's per-user error.
func (p *importPlan) issue(u *ImportUser, issue ImportIssue) {
	p.issues = append(p.issues, ImportError{Record: u.Record, User: u.Echo(), Errors: []ImportIssue{issue}})
}

// write makes the planned updates, then the inserts. A write the store
// refuses all the same (another transaction took a key meanwhile) becomes
// the issue of the key it collides with now.
func (p *importPlan) write(ctx context.Context) error {
	for _, step := range []struct {
		list     []plannedWrite
		updating bool
		count    *int64
		write    func(context.Context, *ImportBatch, []ImportWrite) ([]int, error)
	}{
		{p.updates, true, &p.counts.Updated, p.tx.UpdateImportUsers},
		{p.inserts, false, &p.counts.Inserted, p.tx.InsertImportUsers},
	} {
		if len(step.list) == 0 {
			continue
		}
		refused, err := step.write(ctx, p.b, writesOf(step.list))
		if err != nil {
			return err
		}
		*step.count += int64(len(step.list) - len(refused))
		if err := p.refused(ctx, step.list, refused, step.updating); err != nil {
			return err
		}
	}
	return nil
}

// refused records the issues of the writes the store refused.
func (p *importPlan) refused(ctx context.Context, list []plannedWrite, refused []int, updating bool) error {
	for _, i := range refused {
		x := list[i].w.User
		key, r, err := taken(ctx, p.probe, x, x.UserID, updating)
		if err != nil {
			return fmt.Errorf("find the user %s collides with: %w", x.UserID, err)
		} else if r == nil {
			return fmt.Errorf("user %s collides with no user", x.UserID)
		}
		p.collide(list[i].u, key, r)
	}
	return nil
}

// writesOf returns the writes of list.
func writesOf(list []plannedWrite) []ImportWrite {
	ws := make([]ImportWrite, len(list))
	for i := range list {
		ws[i] = list[i].w
	}
	return ws
}
