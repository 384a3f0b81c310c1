package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/userport/userport"
	"github.com/userport/userport/encode"
	"github.com/userport/userport/seed"
)

// importBatch is how many generated users are made at a time.
const importBatch = 1000

// WriteImportFile writes n users of conn, made by the seed generator with
// seedValue, as an export writes them: gzip'd NDJSON, every attribute. Users
// of a seed that differs from the store's seed (modulo 2^24) are new to it.
func WriteImportFile(w io.Writer, n int, seedValue int64, conn *userport.Connection) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	enc := encode.NewNDJSONAll(zw)
	g := seed.New(seedValue, "", conn, time.Now().Add(-time.Duration(n)*seed.MeanInterval))
	batch := make([]*userport.User, importBatch)
	for done := 0; done < n; {
		b := batch[:min(importBatch, n-done)]
		g.Fill(b)
		for _, u := range b {
			if err := enc.Encode(u.Doc); err != nil {
				return fmt.Errorf("encode user %s: %w", u.UserID, err)
			}
		}
		done += len(b)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
