package report

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
)

// Keys prints the token signing keys as a table: kid, name, creation
// time, and whether it signs (the last one).
func Keys(w io.Writer, keys []auth.KeyInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tNAME\tCREATED\tSIGNS")
	for _, k := range keys {
		signs := ""
		if k.Signs {
			signs = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Name, k.CreatedAt.Format(time.RFC3339), signs)
	}
	return tw.Flush()
}

// Seeded says how many users `userport seed` wrote into conn, how fast,
// and, when the tenant held users already (held), how many it holds now.
func Seeded(w io.Writer, n int, held int64, conn, tenant string, took time.Duration) error {
	secs := took.Seconds()
	if held == 0 {
		_, err := fmt.Fprintf(w, "seeded %d users into %s in %.2fs (%.0f users/s)\n", n, conn, secs, float64(n)/secs)
		return err
	}
	_, err := fmt.Fprintf(w, "added %d users to %s in %.2fs (%.0f users/s); the store now holds %d users of tenant %s\n",
		n, conn, secs, float64(n)/secs, held+int64(n), tenant)
	return err
}

// Loaded says what `userport load` did: the job, its records by outcome,
// the connection, and how fast.
func Loaded(w io.Writer, job *userport.Job, sum *userport.ImportSummary, took time.Duration) error {
	secs := took.Seconds()
	_, err := fmt.Fprintf(w, "job %s: %d records (%d inserted, %d updated, %d failed) into %s in %.2fs (%.0f users/s)\n",
		job.ID, sum.Total, sum.Inserted, sum.Updated, sum.Failed, job.Connection, secs, float64(sum.Total)/secs)
	return err
}
