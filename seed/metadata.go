package seed

import "strconv"

// metadata sets user_metadata (absent for 8% of the users) and app_metadata.
func (g *Generator) metadata(c *culture) {
	g.p.UserMetadata = nil
	if !g.chance(8) {
		g.meta = g.userMetadata(g.meta[:0], c)
		g.p.UserMetadata = g.meta
	}
	g.app = g.appMetadata(g.app[:0])
	g.p.AppMetadata = g.app
}

// userMetadata appends a user_metadata object: consent for most users, and
// sometimes preferences, an address, hobbies and a free-text bio.
func (g *Generator) userMetadata(b []byte, c *culture) []byte {
	b = append(b, '{')
	if g.chance(85) {
		b = g.consent(b)
	}
	if g.chance(70) {
		b = g.preferences(comma(b), c)
	}
	if g.chance(15) {
		b = g.address(comma(b), c)
	}
	if g.chance(20) {
		b = append(comma(b), `"hobbies":`...)
		b = g.appendPicks(b, hobbies[:], 1+g.intn(3))
	}
	if g.chance(15) {
		b = append(comma(b), `"bio":`...)
		b = appendString(b, g.tricky())
	}
	return append(b, '}')
}

// comma appends a comma unless b ends an object's opening brace.
func comma(b []byte) []byte {
	if b[len(b)-1] == '{' {
		return b
	}
	return append(b, ',')
}

// consent appends `"consent":{"given":..,"date":"YYYY-MM-DD","text_details":".."}`,
// dated the day the user was created.
func (g *Generator) consent(b []byte) []byte {
	b = append(b, `"consent":{"given":`...)
	b = appendBool(b, g.chance(90))
	b = append(b, `,"date":"`...)
	b = appendDay(b, g.ms/86_400_000)
	b = append(b, '"')
	b = appendPlainField(b, "text_details", pick(g, termsTexts[:]))
	return append(b, '}')
}

func (g *Generator) preferences(b []byte, c *culture) []byte {
	b = append(b, `"preferences":{"language":`...)
	b = appendPlain(b, pick(g, c.languages))
	b = append(b, `,"newsletter":`...)
	b = appendBool(b, g.chance(45))
	if g.chance(30) {
		b = appendPlainField(b, "timezone", pick(g, timezones[:]))
	}
	if g.chance(40) {
		b = append(b, `,"notifications":`...)
		b = g.appendPicks(b, channels[:], g.intn(len(channels)+1))
	}
	return append(b, '}')
}

func (g *Generator) address(b []byte, c *culture) []byte {
	pl := pick(g, c.cities)
	b = append(b, `"address":{"street":"`...)
	b = strconv.AppendInt(b, int64(1+g.intn(250)), 10)
	b = append(b, ' ')
	b = append(b, pick(g, c.streets)...)
	b = append(b, '"')
	b = appendPlainField(b, "city", pl.city)
	b = append(b, `,"postal_code":"`...)
	b = append(g.appendPattern(b, pl.postal), '"')
	b = appendPlainField(b, "country", pl.country)
	return append(b, '}')
}

// appendPicks appends a JSON array of n distinct consecutive values of list,
// starting at a random one.
func (g *Generator) appendPicks(b []byte, list []string, n int) []byte {
	b = append(b, '[')
	start := g.intn(len(list))
	for k := range n {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendPlain(b, list[(start+k)%len(list)])
	}
	return append(b, ']')
}

// appMetadata appends an app_metadata object: plan, roles, a Stripe customer
// for paying plans, feature flags, and sometimes an external id.
func (g *Generator) appMetadata(b []byte) []byte {
	plan := pick(g, plans[:])
	b = append(b, `{"plan":`...)
	b = appendPlain(b, plan)
	b = append(b, `,"roles":`...)
	b = g.appendPicks(b, roleNames[:], g.intn(3))
	if plan != "free" {
		b = g.stripe(append(b, ','))
	}
	if g.chance(30) {
		b = append(b, `,"flags":{"beta":`...)
		b = appendBool(b, g.chance(30))
		b = append(b, `,"mfa":`...)
		b = appendBool(b, g.chance(50))
		b = append(b, '}')
	}
	if g.chance(20) {
		b = append(b, `,"external_id":"ext-`...)
		b = append(g.appendDigits(b, 8), '"')
	}
	return append(b, '}')
}

// stripe appends `"stripe":[{"customer_id":"cus_..","seats":..,"currency":".."}]`.
func (g *Generator) stripe(b []byte) []byte {
	b = append(b, `"stripe":[{"customer_id":"cus_`...)
	b = g.appendAlnum(b, 14)
	b = append(b, `","seats":`...)
	b = strconv.AppendInt(b, int64(1+g.intn(50)), 10)
	b = append(b, `,"currency":`...)
	b = appendPlain(b, pick(g, currencies[:]))
	return append(b, '}', ']')
}
