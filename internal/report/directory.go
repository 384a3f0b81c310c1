package report

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/userport/userport/client"
)

// Users prints a page of users as a table (id, email, connection, creation
// and last login), and where it is in the list.
func Users(w io.Writer, p *client.UserPage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER ID\tEMAIL\tCONNECTION\tCREATED\tLAST LOGIN")
	for _, raw := range p.Users {
		var u struct {
			UserID     string `json:"user_id"`
			Email      string `json:"email"`
			CreatedAt  string `json:"created_at"`
			LastLogin  string `json:"last_login"`
			Identities []struct {
				Connection string `json:"connection"`
			} `json:"identities"`
		}
		_ = json.Unmarshal(raw, &u) // a key of another type shows as "-"
		conn := ""
		if len(u.Identities) > 0 {
			conn = u.Identities[0].Connection
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", dash(u.UserID), dash(u.Email), dash(conn), dash(u.CreatedAt), dash(u.LastLogin))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return pageLine(w, "users", p.Start, len(p.Users), p.Total)
}

// Connections prints connections as a table: id, name, strategy.
func Connections(w io.Writer, conns []client.Connection) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTRATEGY")
	for _, c := range conns {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Name, dash(c.Strategy))
	}
	return tw.Flush()
}

// pageLine says which items of the list a page of n items from start
// shows, of total.
func pageLine(w io.Writer, what string, start, n, total int) error {
	if n == 0 {
		_, err := fmt.Fprintf(w, "no %s here (%d in all)\n", what, total)
		return err
	}
	_, err := fmt.Fprintf(w, "%s %d-%d of %d\n", what, start+1, start+n, total)
	return err
}

// UnknownFields warns on w of each field whose root is not a profile
// attribute: its column would stay empty (the server takes it, as Auth0
// does).
func UnknownFields(w io.Writer, fields client.Fields) {
	for _, name := range fields.Unknown() {
		fmt.Fprintf(w, "warning: --field %s does not start with a user profile attribute (email, user_metadata, app_metadata, ...): its column will be empty\n", name)
	}
}
