package seed

import (
	"strconv"

	"github.com/userport/userport"
)

// span is a part of Generator.text.
type span struct{ start, end int }

// texts are where the current user's generated strings lie in Generator.text,
// which becomes one string when the user is complete: one allocation per user
// rather than one per attribute. A zero span is an absent attribute.
type texts struct {
	userID, name, email, username, nickname, phone, picture span
	social, created, lastLogin, lastIP                      span
}

// add appends s to the current user's text and returns where it lies.
func (g *Generator) add(parts ...string) span {
	start := len(g.text)
	for _, s := range parts {
		g.text = append(g.text, s...)
	}
	return span{start, len(g.text)}
}

// setTexts sets the profile's generated strings from the user's text.
func (g *Generator) setTexts() {
	s := string(g.text)
	get := func(sp span) string { return s[sp.start:sp.end] }
	p, t := &g.p, &g.t
	p.UserID, p.Name, p.Email, p.Username = get(t.userID), get(t.name), get(t.email), get(t.username)
	p.Nickname, p.PhoneNumber, p.Picture = get(t.nickname), get(t.phone), get(t.picture)
	p.CreatedAt, p.LastLogin, p.LastIP = get(t.created), get(t.lastLogin), get(t.lastIP)
	p.UpdatedAt = p.CreatedAt
	if p.LastLogin != "" {
		p.UpdatedAt = p.LastLogin
	}
	g.ids[0].UserID = p.UserID[len("auth0|"):]
	g.ids[1].UserID = get(t.social)
}

// names sets the full name. given_name and family_name are set by next and
// left out for 40% of the users.
func (g *Generator) names(c *culture, given, family name) {
	switch r := g.intn(100); {
	case r < 4: // "García, José": a comma inside the cell
		g.t.name = g.add(family.text, ", ", given.text)
	case r < 6: // Robert "bob" Smith: quotes inside the cell
		g.t.name = g.add(given.text, ` "`, given.slug, `" `, family.text)
	case c.familyFirst:
		g.t.name = g.add(family.text, c.joiner, given.text)
	default:
		g.t.name = g.add(given.text, " ", family.text)
	}
	if g.chance(40) {
		g.p.GivenName, g.p.FamilyName = "", ""
	}
}

// contact sets email, username, nickname, phone_number and picture.
func (g *Generator) contact(c *culture, given, family name, i uint64) {
	local := g.localPart(given, family, i)
	g.text = append(g.text, '@')
	g.text = append(g.text, pick(g, c.domains)...)
	g.t.email = span{local.start, len(g.text)}
	g.flags[0] = g.chance(85)
	g.p.EmailVerified = &g.flags[0]
	if g.chance(60) {
		start := len(g.text)
		// At most 15 characters, Auth0's default limit, for 60M users.
		g.text = append(g.text, prefix(given.slug, 4)...)
		g.text = append(g.text, '_')
		g.text = append(g.text, g.tagText...)
		g.text = strconv.AppendUint(g.text, i, 36)
		g.t.username = span{start, len(g.text)}
	}
	switch r := g.intn(100); {
	case r < 6:
		g.t.nickname = g.add(g.tricky())
	case r < 40:
		g.t.nickname = g.add(given.text)
	default: // Auth0's default: the e-mail address before the @
		g.t.nickname = local
	}
	if g.chance(35) {
		g.t.phone = g.phone(c)
		g.flags[1] = g.chance(70)
		g.p.PhoneVerified = &g.flags[1]
	}
	g.t.picture = g.picture(given, family)
}

// localPart appends the part of the e-mail address before the @: unique,
// because it ends with the seed's tag and the user's index after the last dot.
func (g *Generator) localPart(given, family name, i uint64) span {
	start := len(g.text)
	switch g.intn(3) {
	case 0:
		g.text = append(g.text, given.slug...)
		g.text = append(g.text, '.')
	case 1:
		g.text = append(g.text, given.slug[0])
	default:
		g.text = append(g.text, given.slug...)
		g.text = append(g.text, '_')
	}
	g.text = append(g.text, family.slug...)
	g.text = append(g.text, '.')
	g.text = append(g.text, g.tagText...)
	g.text = strconv.AppendUint(g.text, i, 36)
	return span{start, len(g.text)}
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// phone appends an E.164 number of the culture's country.
func (g *Generator) phone(c *culture) span {
	start := len(g.text)
	g.text = append(g.text, '+')
	g.text = append(g.text, c.phone...)
	g.text = g.appendDigits(g.text, 9)
	return span{start, len(g.text)}
}

// picture appends a Gravatar URL with Auth0's initials fallback, or for 30%
// of the users the URL of an avatar their application uploaded.
func (g *Generator) picture(given, family name) span {
	start := len(g.text)
	if g.chance(30) { // an avatar the application uploaded
		g.text = append(g.text, "https://cdn.example.com/avatars/"...)
		g.text = appendHex(g.text, g.src.Uint64(), 16)
		g.text = append(g.text, ".jpg"...)
		return span{start, len(g.text)}
	}
	g.text = append(g.text, "https://s.gravatar.com/avatar/"...)
	g.text = appendHex(g.text, g.src.Uint64(), 16)
	g.text = appendHex(g.text, g.src.Uint64(), 16)
	g.text = append(g.text, "?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F"...)
	g.text = append(g.text, given.slug[0], family.slug[0])
	g.text = append(g.text, ".png"...)
	return span{start, len(g.text)}
}

// identities sets the database identity and, for about 10% of the users, a
// linked social identity. setTexts fills in their user ids.
func (g *Generator) identities() {
	g.ids[0] = userport.Identity{Connection: g.connName, Provider: "auth0"}
	g.p.Identities = g.ids[:1]
	if !g.chance(10) {
		return
	}
	s := pick(g, socials[:])
	start := len(g.text)
	g.text = g.appendPattern(g.text, s.digits)
	g.t.social = span{start, len(g.text)}
	g.ids[1] = userport.Identity{Connection: s.connection, Provider: s.connection, IsSocial: true}
	g.p.Identities = g.ids[:2]
}

// activity sets created_at, last_login, last_ip, logins_count (updated_at
// follows from them) and, for 2% of the users, blocked.
func (g *Generator) activity() {
	g.t.created = g.addTime(g.ms)
	g.updatedMS, g.logins = g.ms, 0
	if g.chance(92) {
		g.updatedMS = g.ms + g.int64n(180*24*3600*1000)
		g.t.lastLogin = g.addTime(g.updatedMS)
		g.t.lastIP = g.ip()
		g.logins = 1 + g.int64n(1+g.int64n(400))
	}
	g.p.LoginsCount = &g.logins
	if g.chance(2) {
		g.flags[2] = true
		g.p.Blocked = &g.flags[2]
	}
}

func (g *Generator) addTime(ms int64) span {
	start := len(g.text)
	g.text = appendTime(g.text, ms)
	return span{start, len(g.text)}
}

// ip appends a public-looking IPv4 address, or an IPv6 one for 15% of users.
func (g *Generator) ip() span {
	start := len(g.text)
	if g.chance(15) {
		g.text = append(g.text, "2a02:"...)
		for i := range 7 {
			if i > 0 {
				g.text = append(g.text, ':')
			}
			g.text = strconv.AppendUint(g.text, g.bits16(), 16)
		}
		return span{start, len(g.text)}
	}
	g.text = strconv.AppendInt(g.text, int64(11+g.intn(212)), 10)
	for range 3 {
		g.text = append(g.text, '.')
		g.text = strconv.AppendInt(g.text, int64(g.intn(256)), 10)
	}
	return span{start, len(g.text)}
}

func (g *Generator) appendDigits(b []byte, n int) []byte {
	for range n {
		b = append(b, byte('0'+g.intn(10)))
	}
	return b
}

// appendPattern appends pattern with each '#' replaced by a random digit.
func (g *Generator) appendPattern(b []byte, pattern string) []byte {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '#' {
			b = append(b, byte('0'+g.intn(10)))
		} else {
			b = append(b, pattern[i])
		}
	}
	return b
}

func (g *Generator) appendAlnum(b []byte, n int) []byte {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for range n {
		b = append(b, alnum[g.intn(len(alnum))])
	}
	return b
}
