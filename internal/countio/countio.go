// Package countio counts the bytes that pass through a writer.
package countio

import "io"

// Writer writes to W and counts in N the bytes W took.
type Writer struct {
	W io.Writer
	N int64
}

// Write writes p to W and adds what it took to N.
func (c *Writer) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
