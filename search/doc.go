// Package search implements Auth0's user search query syntax (search engine
// v3, Lucene-like): Parse turns a query into a Query once, whose Match is a
// predicate over a user's stored profile document (raw JSON) and whose plan
// names, where it can, an index range the store reads instead of the whole
// tenant. GET /api/v2/users?q= runs it through Run, and filtered exports
// read every match through Matches, which Run reads too.
//
// The syntax, as Auth0 documents it for user search:
//
//   - field:value and field:"a phrase" match the whole value (fields are not
//     tokenized); email, name, given_name, family_name, nickname (and
//     email.domain) compare case-insensitively, every other field exactly.
//   - * in a term matches any run of characters: name:john*, name:*usa,
//     name:jane*smith. A term that starts with * needs 3 other characters;
//     field:* means the field exists. ? is not supported.
//   - AND, OR, NOT (upper case), &&, ||, !, and the + and - prefixes, with
//     Lucene's rules: terms side by side are OR'ed; parentheses group.
//   - Ranges [a TO b], {a TO b} and their mixes, * for an open end.
//   - _exists_:field.
//   - Paths into objects and arrays: user_metadata.plan, identities.provider,
//     app_metadata.addresses.city (an array level is looked through).
//   - Dates (created_at, updated_at, last_login, ...): 2020, 2020-01,
//     2020-01-02, 2020-01-02T10:20, full ISO-8601; a missing part is zero.
//     A date term matches the whole period it names.
//   - \ escapes the next character.
//
// Wildcards and ranges are refused on user_metadata and app_metadata, as
// Auth0 refuses them; a root field that is not part of a profile is refused
// too. Errors are *SyntaxError values that name a 1-based character position.
package search
