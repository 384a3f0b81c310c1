package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/userport/userport"
	"github.com/userport/userport/s3blob"
	"github.com/userport/userport/vault"
)

// Database kinds (--database-url).
const (
	DBSQLite   = "sqlite"
	DBPostgres = "postgres"
)

// Master key settings (scale mode).
var (
	EnvMasterKey     = EnvName("master-key")
	EnvMasterKeyFile = EnvName("master-key-file")
)

// Database returns the kind of database the configuration names, and its
// SQLite path or PostgreSQL URL.
func (c *Config) Database() (kind, target string, err error) {
	switch u := c.DatabaseURL; {
	case u == "":
		return DBSQLite, filepath.Join(c.DataDir, "userport.db"), nil
	case strings.HasPrefix(u, "sqlite://"):
		return DBSQLite, strings.TrimPrefix(u, "sqlite://"), nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return DBPostgres, u, nil
	}
	return "", "", fmt.Errorf("invalid --database-url (USERPORT_DATABASE_URL): want sqlite://PATH or postgres://..., not %q", userport.Excerpt(c.DatabaseURL))
}

// checkBlobURL checks the form of --blob-url.
func (c *Config) checkBlobURL() error {
	if c.BlobURL == "" || strings.HasPrefix(c.BlobURL, "s3://") && len(c.BlobURL) > len("s3://") {
		return nil
	}
	return errors.New("invalid --blob-url (USERPORT_BLOB_URL): want s3://bucket[/prefix], or nothing for the data dir, not " +
		fmt.Sprintf("%q", userport.Excerpt(c.BlobURL)))
}

// checkS3Endpoints checks the form of USERPORT_S3_ENDPOINT and
// USERPORT_S3_PUBLIC_ENDPOINT.
func (c *Config) checkS3Endpoints() error {
	for _, e := range []struct{ name, value string }{{"USERPORT_S3_ENDPOINT", c.S3Endpoint}, {"USERPORT_S3_PUBLIC_ENDPOINT", c.S3PublicEndpoint}} {
		if err := s3blob.CheckEndpoint(e.value); e.value != "" && err != nil {
			return fmt.Errorf("invalid %s: %w", e.name, err)
		}
	}
	return nil
}

// SecretsInStore reports whether the configuration keeps its secrets in the
// database: with PostgreSQL (scale mode), where several nodes share them.
func (c *Config) SecretsInStore() bool {
	kind, _, err := c.Database()
	return err == nil && kind == DBPostgres
}

// checkMasterKey refuses a master key where it would seal nothing: the
// embedded default keeps its keys in the data dir, and a master key set for
// it would suggest a protection that is not there.
func (c *Config) checkMasterKey() error {
	if c.MasterKey != "" && c.MasterKeyFile != "" {
		return fmt.Errorf("set %s or %s, not both", EnvMasterKey, EnvMasterKeyFile)
	}
	if setting := c.masterKeySetting(); setting != "" && !c.SecretsInStore() {
		return fmt.Errorf("%s is set, but the embedded store keeps its keys in the data dir, unsealed: unset it, or use a postgres:// --database-url", setting)
	}
	return nil
}

// masterKeySetting names the master key setting that is set, or "".
func (c *Config) masterKeySetting() string {
	switch {
	case c.MasterKey != "":
		return EnvMasterKey
	case c.MasterKeyFile != "":
		return EnvMasterKeyFile
	}
	return ""
}

// MasterKeys reads the master keys from USERPORT_MASTER_KEY or from the
// file USERPORT_MASTER_KEY_FILE names, and the setting they came from.
func (c *Config) MasterKeys() (*vault.Keyring, string, error) {
	setting, value := c.masterKeySetting(), c.MasterKey
	switch setting {
	case "":
		return nil, "", fmt.Errorf("scale mode (a postgres:// --database-url) needs %s or %s: the key that seals the signing keys "+
			"kept in the database, the same on every node; generate one with `openssl rand -base64 32` or `userport keys new-master-key`",
			EnvMasterKey, EnvMasterKeyFile)
	case EnvMasterKeyFile:
		b, err := os.ReadFile(c.MasterKeyFile)
		if err != nil {
			return nil, setting, fmt.Errorf("%s: %w", setting, err)
		}
		value = string(b)
	}
	keys, err := vault.ParseKeyring(value)
	if err != nil {
		return nil, setting, fmt.Errorf("invalid %s: %w", setting, err)
	}
	return keys, setting, nil
}
