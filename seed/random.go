package seed

// The generator draws many small random numbers per user, so it takes them 16
// bits at a time from each 64-bit PCG output rather than one output each. The
// bias of (r*n)>>16 is below n/65536: irrelevant for test data.

// bits16 returns 16 random bits.
func (g *Generator) bits16() uint64 {
	if g.left == 0 {
		g.pool, g.left = g.src.Uint64(), 4
	}
	v := g.pool & 0xFFFF
	g.pool >>= 16
	g.left--
	return v
}

// intn returns a number in [0, n), for n <= 65536.
func (g *Generator) intn(n int) int {
	return int(g.bits16() * uint64(n) >> 16)
}

// int64n returns a number in [0, n), for large n.
func (g *Generator) int64n(n int64) int64 {
	return int64(g.src.Uint64() % uint64(n))
}

// chance reports true percent times in a hundred.
func (g *Generator) chance(percent int) bool {
	return g.intn(100) < percent
}

func (g *Generator) tricky() string {
	return tricky[g.intn(len(tricky))]
}

// pick returns a random element of list.
func pick[T any](g *Generator, list []T) T {
	return list[g.intn(len(list))]
}
