package main

import (
	"context"
	"io"

	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/help"
	"github.com/userport/userport/internal/report"
)

// connectionsHelp is the help of `userport connections`.
const connectionsHelp = `Usage: userport connections list [flags]

Read the tenant's connections over the Management API: their ids, names and
strategies. Export and import take either as --connection. Run
'userport connections list -h' for the flags.
`

// runConnections implements `userport connections list`.
func runConnections(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return help.RunGroup(ctx, "connections", help.Text(connectionsHelp), map[string]help.Sub{"list": runConnectionsList}, args, stdout, stderr)
}

// runConnectionsList implements `userport connections list`: every
// connection of the tenant, as a table or JSON.
func runConnectionsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	fs := newFlagSet("connections list", "[flags]", "list the tenant's connections: id, name, strategy (GET /api/v2/connections)")
	rc.Flags(fs)
	asJSON := fs.Bool("json", false, "print the connections as a JSON array of {id, name, strategy}")
	_, c, err := rc.ParseClientCommand(fs, args, stderr, 0)
	if err != nil {
		return err
	}
	conns, err := c.Connections(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return report.JSON(stdout, conns)
	}
	return report.Connections(stdout, conns)
}
