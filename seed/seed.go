// Package seed generates realistic, varied Auth0 user profiles, deterministically,
// for the `userport seed` command, tests and benchmarks.
//
// A Generator made with the same seed, tenant, connection and start time yields
// byte-identical users. Its user ids grow with every user (the first 8 hex
// digits are the creation time in seconds, then a tag derived from the seed, then
// a counter), so inserts into a table clustered by user_id are sequential, and
// its e-mail addresses and usernames are unique; generators whose seeds differ
// modulo 2^24 never share a user id, an e-mail address or a username.
//
// The profiles exercise what exports must get right: names in many scripts,
// values with commas, quotes, line breaks and spreadsheet formula prefixes,
// nested user_metadata and app_metadata, optional attributes that are sometimes
// absent, and second (social) identities.
package seed

import (
	"math/rand/v2"
	"time"

	"github.com/userport/userport"
)

// MeanInterval is the mean time between the creation of two consecutive users:
// user i is created about start + i*MeanInterval. To seed n users that exist
// by now, start at now - n*MeanInterval.
const MeanInterval = time.Second

// Generator makes users one after another. It is not safe for concurrent use;
// use one generator per goroutine, with different seeds.
type Generator struct {
	src      *rand.PCG
	pool     uint64 // random bits not used yet
	left     int    // 16-bit draws left in pool
	tenant   string
	connID   string
	connName string
	tag      uint64 // 24 bits of the user id, from the seed
	tagText  string // the tag in 5 base-36 digits, for e-mails and usernames
	n        uint64 // users made so far
	ms       int64  // creation time of the last user, Unix milliseconds

	// Reused from user to user: the encoder copies them into the document.
	p         userport.Profile
	t         texts
	text      []byte // the texts of the current user, one string in the end
	ids       [2]userport.Identity
	flags     [3]bool // email_verified, phone_verified, blocked
	logins    int64
	updatedMS int64
	meta, app []byte
	doc       []byte
}

// New returns a generator of users of tenant in the database connection conn,
// the first created at start. The same arguments give the same users.
func New(seed int64, tenant string, conn *userport.Connection, start time.Time) *Generator {
	// Multiplying by an odd number is a bijection modulo 2^24: seeds that differ
	// there get different tags, hence different user ids and e-mail addresses.
	tag := uint64(seed) * 0x9E3779B1 & 0xFFFFFF
	return &Generator{
		src:      rand.NewPCG(uint64(seed), 0x75e45),
		tenant:   tenant,
		connID:   conn.ID,
		connName: conn.Name,
		tag:      tag,
		tagText:  base36(tag, 5),
		ms:       start.UnixMilli(),
		text:     make([]byte, 0, 512),
		meta:     make([]byte, 0, 1024),
		app:      make([]byte, 0, 512),
		doc:      make([]byte, 0, 2048),
	}
}

// Next returns the next user. Its PasswordHash is empty: callers that need one
// set it (a bcrypt hash per user would cost far more than the generation).
//
// The user is, field for field and byte for byte, what userport.UserFromProfile
// makes of the profile that Profile would have returned, only much faster.
func (g *Generator) Next() *userport.User {
	u := new(userport.User)
	g.build(u, nil)
	return u
}

// Fill overwrites each user of users with the next user, reusing the users
// and the memory of their documents; nil elements are allocated. A caller
// that keeps a user across calls must copy it.
func (g *Generator) Fill(users []*userport.User) {
	for i, u := range users {
		if u == nil {
			u = new(userport.User)
			users[i] = u
		}
		g.build(u, u.Doc[:0])
	}
}

// Profile returns the next user's profile, from which Next would have built the
// user. The profile's metadata and pointers are only valid until the next call
// of Next, Fill or Profile.
func (g *Generator) Profile() *userport.Profile {
	return g.next()
}

// build makes u the next user, appending its document to doc, or to a new
// slice of the right size when doc is nil.
func (g *Generator) build(u *userport.User, doc []byte) {
	p := g.next()
	if doc == nil {
		g.doc = appendProfile(g.doc[:0], p)
		doc = append(make([]byte, 0, len(g.doc)), g.doc...)
	} else {
		doc = appendProfile(doc, p)
	}
	*u = userport.User{
		Tenant:       g.tenant,
		UserID:       p.UserID,
		ConnectionID: g.connID,
		Email:        p.Email, // generated in lower case
		Username:     p.Username,
		CreatedAt:    time.UnixMilli(g.ms).UTC(),
		UpdatedAt:    time.UnixMilli(g.updatedMS).UTC(),
		Doc:          doc,
	}
}

// next fills g.p with the next profile.
func (g *Generator) next() *userport.Profile {
	i := g.n
	g.n++
	g.ms += int64(g.intn(2 * int(MeanInterval.Milliseconds())))
	c := &cultures[g.pickCulture()]
	given, family := pick(g, c.given), pick(g, c.family)

	g.p = userport.Profile{GivenName: given.text, FamilyName: family.text}
	g.t = texts{}
	g.text = g.text[:0]
	g.userID(i)
	g.names(c, given, family)
	g.contact(c, given, family, i)
	g.identities()
	g.activity()
	g.setTexts()
	g.metadata(c)
	return &g.p
}

func (g *Generator) pickCulture() int {
	w := g.intn(100)
	for i, cw := range cultureWeights {
		if w < cw {
			return i
		}
		w -= cw
	}
	return 0
}

// userID writes the user id "auth0|" + 24 hex digits: the creation time in
// seconds, the seed's tag, then the user's index, so that ids grow and never
// repeat.
func (g *Generator) userID(i uint64) {
	start := len(g.text)
	g.text = append(g.text, "auth0|"...)
	g.text = appendHex(g.text, uint64(uint32(g.ms/1000)), 8)
	g.text = appendHex(g.text, g.tag, 6)
	g.text = appendHex(g.text, i&(1<<40-1), 10)
	g.t.userID = span{start, len(g.text)}
}

// appendHex appends v as n hex digits, most significant first.
func appendHex(b []byte, v uint64, n int) []byte {
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		b = append(b, hexDigits[v>>shift&0xF])
	}
	return b
}

func base36(v uint64, width int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = digits[v%36]
		v /= 36
	}
	return string(b)
}
