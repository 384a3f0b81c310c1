package main

import "github.com/userport/userport/internal/config"

// Config is the configuration of every command that opens the store
// (internal/config: each setting declared once, with its flag, its
// USERPORT_* twin, its default and its help).
type Config = config.Config
