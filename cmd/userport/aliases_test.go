package main

import "github.com/userport/userport/auth"

// Names the end-to-end tests used before the logic they name moved out of
// cmd (the lead may inline them once the branches are merged).
type adminClientFile = auth.AdminFile
