package userport

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// Per-user error codes of an import job: Auth0's names (its import reports
// schema errors with the codes of its JSON-schema validator).
const (
	ImportDuplicatedUser       = "DUPLICATED_USER"                  // the user is in the file twice, or exists already without upsert
	ImportConflict             = "CONFLICT"                         // the user_id belongs to a user of another connection
	ImportConflictEmail        = "CONFLICT_EMAIL"                   // with upsert: another user of the connection has the email
	ImportConflictUsername     = "CONFLICT_USERNAME"                // another user of the connection has the username
	ImportInvalidType          = "INVALID_TYPE"                     // a value of the wrong JSON type
	ImportInvalidFormat        = "INVALID_FORMAT"                   // an email, date or IP address that is malformed
	ImportMissingProperty      = "OBJECT_MISSING_REQUIRED_PROPERTY" // email (or a custom hash's parts) missing
	ImportAdditionalProperties = "OBJECT_ADDITIONAL_PROPERTIES"     // an attribute an import does not take
	ImportMinLength            = "MIN_LENGTH"                       // an empty string
	ImportMaxLength            = "MAX_LENGTH"                       // a string over its maximum length
	ImportPattern              = "PATTERN"                          // a user_id or bcrypt hash of the wrong shape
	ImportMinimum              = "MINIMUM"                          // a negative logins_count
	ImportEnumMismatch         = "ENUM_MISMATCH"                    // an unknown custom_password_hash algorithm
)

// MaxImportErrors is how many per-user errors an import job keeps (the
// first ones, in file order): the summary's failed still counts every one,
// but a small file of many bad records (a gzip of a million duplicates is
// 77 KB) cannot fill the disk with them.
const MaxImportErrors = 10000

// ImportIssue is one reason why a user of an import file was not imported.
type ImportIssue struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path"`
}

// ImportError is a user of an import file that was not imported: the user as
// the file gave it, with its secrets masked, and why.
type ImportError struct {
	Record int64           `json:"-"` // the user's position in the file, from 0
	User   json.RawMessage `json:"user"`
	Errors []ImportIssue   `json:"errors"`
}

// ImportUser is a valid user of an import file, ready to be written.
type ImportUser struct {
	Record int64 // the user's position in the file, from 0
	User   *User // the user as it is inserted when it does not exist yet
	// CustomPasswordHash is Auth0's custom_password_hash object as given, or
	// nil. It is kept apart from the profile and never returned or exported.
	CustomPasswordHash json.RawMessage
	// Echo returns the user as the file gave it, secrets masked: what an
	// error shows. It is called only for a user the store rejects, so that
	// the users written (nearly all) are not masked for nothing.
	Echo func() json.RawMessage
	// Update returns what an existing user that this one matches becomes
	// (upsert). The existing user keeps its user_id.
	Update func(existing *User) (*User, error)
}

// ImportBatch is one step of an import job, written in one transaction: the
// users of records [From, To) of the file, the per-user errors of those
// records, and the job's new cursor and progress.
type ImportBatch struct {
	Tenant       string
	JobID        string
	ConnectionID string // the connection users are imported into
	Upsert       bool   // update existing users instead of reporting them

	From      int64 // records consumed before the batch: the stored cursor must be this
	To        int64 // records consumed after the batch
	BytesRead int64 // bytes of the uploaded file read so far, for the progress

	Users  []ImportUser  // the valid users, in file order
	Failed []ImportError // the records the importer rejected already

	PercentageDone  int // written to the job while it is processing
	TimeLeftSeconds int
}

// ImportState is the committed progress of an import job.
type ImportState struct {
	Tenant    string
	JobID     string
	FileBytes int64 // size of the uploaded file
	Records   int64 // records of the file consumed (the cursor)
	BytesRead int64 // bytes of the file read when the cursor was written
	Summary   ImportSummary
}

// ImportStore keeps what import jobs need beyond the job records: their
// cursors, counters and per-user errors, and the users they write.
type ImportStore interface {
	// CreateImportJob inserts the import job j with an empty cursor for an
	// uploaded file of fileBytes and, in the same transaction, calls enqueue.
	// When limit > 0 and limit or more import jobs of j's tenant are pending or
	// processing, nothing is written and it returns ETOOMANY
	// ("too_many_requests"); the check and the insert are atomic.
	CreateImportJob(ctx context.Context, j *Job, fileBytes int64, limit int, enqueue func(ctx context.Context, tx Tx) error) error
	// FindImportState returns an import job's committed progress: ENOTFOUND
	// ("inexistent_job") when there is none.
	FindImportState(ctx context.Context, tenant, jobID string) (*ImportState, error)
	// WriteImportBatch writes b in one transaction, by the rules of the
	// function WriteImportBatch over the store's ImportTx: each user is inserted, or
	// (with b.Upsert) updates the user it matches (same user_id in the tenant,
	// else same email in the connection), or becomes a per-user error (see
	// ImportDuplicate, ImportExists, ImportCollision); b.Failed and those errors
	// are kept up to MaxImportErrors for the job (the failed counter counts
	// them all); the counters and the cursor advance to b.To, and the job's
	// progress is written if it is processing. It returns ECONFLICT and writes
	// nothing when the stored cursor is not b.From (another worker moved it).
	WriteImportBatch(ctx context.Context, b *ImportBatch) (*ImportState, error)
	// ListImportErrors returns at most limit per-user errors of an import job
	// whose Record is greater than after (-1 for the first page), in Record
	// order.
	ListImportErrors(ctx context.Context, tenant, jobID string, after int64, limit int) ([]*ImportError, error)
	// FindCustomPasswordHash returns the custom_password_hash an import stored
	// for a user, nil when none: ENOTFOUND ("inexistent_user") for no user.
	FindCustomPasswordHash(ctx context.Context, tenant, userID string) (json.RawMessage, error)
}

// ImportDuplicate is the issue of a user whose key ("user_id", "email" or
// "username") is that of a user earlier in the same import.
func ImportDuplicate(key string) ImportIssue {
	return ImportIssue{Code: ImportDuplicatedUser, Message: fmt.Sprintf("A user with this %s was already provided.", key), Path: key}
}

// ImportExists is the issue of a user that exists already (its key is taken)
// in an import without upsert.
func ImportExists(key string) ImportIssue {
	return ImportIssue{Code: ImportDuplicatedUser, Message: fmt.Sprintf("The user already exists (same %s).", key), Path: key}
}

// ImportCollision is the issue of a user of an upsert whose key is taken by
// another user: a user_id of another connection, or the email or username of
// another user of the connection.
func ImportCollision(key string) ImportIssue {
	switch key {
	case "email":
		return ImportIssue{Code: ImportConflictEmail, Message: "Another user of the connection has this email.", Path: key}
	case "username":
		return ImportIssue{Code: ImportConflictUsername, Message: "Another user of the connection has this username.", Path: key}
	}
	return ImportIssue{Code: ImportConflict, Message: "The user_id belongs to a user of another connection.", Path: key}
}

// CollisionIssue is the issue of an imported user whose key ("user_id",
// "email" or "username") another user has: a duplicate when this import job
// wrote that user (thisJob), else a conflict with upsert, else an existing
// user.
func CollisionIssue(key string, thisJob, upsert bool) ImportIssue {
	switch {
	case thisJob:
		return ImportDuplicate(key)
	case upsert:
		return ImportCollision(key)
	}
	return ImportExists(key)
}

// ImportErrorRoom is how many more per-user errors an import job that has
// kept kept of them may keep below MaxImportErrors (never negative).
func ImportErrorRoom(kept int) int {
	return max(MaxImportErrors-kept, 0)
}

// SortImportErrors orders errs by record, the order they are listed in.
func SortImportErrors(errs []ImportError) {
	slices.SortFunc(errs, func(a, b ImportError) int { return cmp.Compare(a.Record, b.Record) })
}

// TooManyImports is the error of a new import while limit import jobs of the
// tenant are pending or processing: 429 with Auth0's message.
func TooManyImports(limit int) error {
	return Errorf(ETOOMANY, "too_many_requests",
		"There are %d active import users jobs, please wait until some of them are finished and try again", limit)
}
