package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/search"
)

// findUsers lists users (GET /api/v2/users): a search when q (not blank)
// or sort is given, else the plain list of usersOf.
func (s *Server) findUsers(r *http.Request, q query, f userport.UserFilter, totals bool) ([]*userport.User, int, error) {
	if err := checkSearchEngine(q); err != nil {
		return nil, 0, err
	}
	if strings.TrimSpace(q.Get("q")) == "" && !q.Has("sort") {
		return s.usersOf(r, q.Get("connection"), f, totals)
	}
	req, err := searchRequest(q, f, totals)
	if err != nil {
		return nil, 0, err
	}
	res, err := search.Run(r.Context(), s.Store, req)
	if err != nil {
		return nil, 0, err
	}
	users := make([]*userport.User, len(res.Docs))
	for i, d := range res.Docs {
		users[i] = &userport.User{Doc: d}
	}
	return users, res.Total, nil
}

// checkSearchEngine checks search_engine: Auth0 serves v3 only and refuses
// the retired v1 and v2.
func checkSearchEngine(q query) error {
	switch v := q.Get("search_engine"); v {
	case "", "v3":
		return nil
	case "v1", "v2":
		return userport.Errorf(userport.EINVALID, "operation_not_supported", "You are not allowed to use search_engine=%s.", v)
	default:
		return invalidQuery("'No enum match for: \"%s\"' on property search_engine.", userport.Excerpt(v))
	}
}

// searchRequest reads q and sort into a search of f's page. A search pages
// through its first search.MaxResults users only, as Auth0's does.
func searchRequest(q query, f userport.UserFilter, totals bool) (search.Request, error) {
	req := search.Request{Tenant: f.Tenant, Offset: f.Offset, Limit: f.Limit, Totals: totals}
	if f.Offset+f.Limit > search.MaxResults {
		return req, userport.Errorf(userport.EINVALID, "invalid_paging",
			"You can only page through the first %d records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation", search.MaxResults)
	}
	if strings.TrimSpace(q.Get("q")) != "" {
		parsed, err := search.Parse(q.Get("q"))
		if err != nil {
			return req, badSearch("q", err)
		}
		req.Query = parsed
	}
	if q.Has("sort") {
		sort, err := search.ParseSort(q.Get("sort"))
		if errors.As(err, new(search.ErrSortPattern)) {
			return req, invalidQuery("'String does not match pattern %s: %s' on property sort.", search.SortPattern, userport.Excerpt(q.Get("sort")))
		} else if err != nil {
			return req, badSearch("sort", err)
		}
		req.Sort = sort
	}
	return req, nil
}

// badSearch is the 400 of a query or sort that does not parse; the message
// names the position of the problem.
func badSearch(param string, err error) error {
	return invalidQuery("%s", searchIssue(param, err))
}

// searchIssue is what is wrong with a query or sort that does not parse,
// and where: the message of GET /users's q and sort, and of an export's q.
func searchIssue(param string, err error) string {
	var se *search.SyntaxError
	if errors.As(err, &se) {
		what := map[string]string{"q": "query", "sort": "sort"}[param]
		return fmt.Sprintf("'Invalid %s at position %d: %s' on property %s.", what, se.Pos, se.Msg, param)
	}
	return fmt.Sprintf("'%s' on property %s.", err.Error(), param)
}
