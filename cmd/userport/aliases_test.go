package main

import (
	"io"

	"github.com/userport/userport/auth"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/report"
	"github.com/userport/userport/seed"
)

// Names the end-to-end tests used before the logic they name moved out of
// cmd (the lead may inline them once the branches are merged).
type adminClientFile = auth.AdminFile

// seedStart is the seed command's first creation time.
var seedStart = seed.Start

// ensureConnection is seed.EnsureConnection.
var ensureConnection = seed.EnsureConnection

// newBar stands for the progress bar seedUsers now makes itself: the
// writer it draws on.
func newBar(w io.Writer, _ int, _ string) io.Writer { return w }

// The settings' values and names, now internal/config's.
const (
	JobsProcess = config.JobsProcess
	JobsInline  = config.JobsInline
	JobsNone    = config.JobsNone
	LogText     = config.LogText
	LogJSON     = config.LogJSON
)

var envMasterKey, envMasterKeyFile = config.EnvMasterKey, config.EnvMasterKeyFile

// errUsersFailed is the outcome of an import in which some users failed.
var errUsersFailed = report.ErrUsersFailed
