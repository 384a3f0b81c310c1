package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/userport/userport/client"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/help"
	"github.com/userport/userport/internal/report"
)

// usersHelp is the help of `userport users`.
const usersHelp = `Usage: userport users list | get ID | search QUERY [flags]

Read users over the Management API: a page of the tenant's users, one user (as
JSON), or the users an Auth0 search query (v3 syntax, as GET /api/v2/users?q=)
matches. Run 'userport users list -h' (get, search) for the flags.
`

// runUsers implements `userport users list|get|search`.
func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return help.RunGroup(ctx, "users", help.Text(usersHelp), map[string]help.Sub{
		"list": runUsersList, "get": runUsersGet, "search": runUsersSearch,
	}, args, stdout, stderr)
}

// runUsersList implements `userport users list`: a page of the tenant's users.
func runUsersList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("users list", "[flags]", "list a page of the tenant's users, in user_id order (GET /api/v2/users)")
	return usersPage(ctx, fs, 0, args, stdout, stderr)
}

// runUsersSearch implements `userport users search QUERY`.
func runUsersSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("users search", "QUERY [flags]",
		`list a page of the users an Auth0 search query matches (GET /api/v2/users?q=QUERY), e.g. 'email:"jane@example.com"' or 'app_metadata.plan:pro'`)
	return usersPage(ctx, fs, 1, args, stdout, stderr)
}

// usersPage parses the flags of users list (nArgs 0) or search (nArgs 1,
// the query) and prints the page asked for.
func usersPage(ctx context.Context, fs *flag.FlagSet, nArgs int, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	rc.Flags(fs)
	page := fs.Int("page", 0, "the page to show, from 0")
	perPage := fs.Int("per-page", 50, "users per page (at most 100)")
	asJSON := fs.Bool("json", false, "print the page as JSON: {users, start, limit, length, total}")
	rest, c, err := rc.ParseClientCommand(fs, args, stderr, nArgs)
	if err != nil {
		return err
	}
	q := client.UserQuery{Page: *page, PerPage: *perPage}
	if nArgs == 1 {
		if q.Q = rest[0]; strings.TrimSpace(q.Q) == "" {
			return errors.New("userport users search: the query is empty; use 'userport users list' for every user")
		}
	}
	p, err := c.Users(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		return report.JSON(stdout, p)
	}
	return report.Users(stdout, p)
}

// runUsersGet implements `userport users get ID`: the user as the API shows it.
func runUsersGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var rc config.Remote
	fs := newFlagSet("users get", "ID [flags]", "print a user as GET /api/v2/users/{id} shows it")
	rc.Flags(fs)
	rest, c, err := rc.ParseClientCommand(fs, args, stderr, 1)
	if err != nil {
		return err
	}
	u, err := c.User(ctx, rest[0])
	if err != nil {
		return err
	}
	return report.JSON(stdout, u)
}
