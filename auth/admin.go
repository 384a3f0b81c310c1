package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/userport/userport"
)

// adminClientName is the name of the admin client userport creates.
const adminClientName = "userport admin"

// AdminFile is the credentials file of a tenant's first admin client, which
// the first start writes to the data dir (mode 0600) when no admin client is
// configured: the only copy of its secret (the store keeps a hash). Each
// start records the URL the server serves on (RecordURL), which the client
// commands and `userport token` read; files of older releases have none.
type AdminFile struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	URL          string `json:"url,omitempty"` // the server's base URL: http://127.0.0.1:8080
	Audience     string `json:"audience"`
	TokenURL     string `json:"token_url"`
}

// ServerURL is the base URL of the server the file's client belongs to: its
// URL, or for a file of an older release the one its token URL derives
// from; "" when neither says.
func (f *AdminFile) ServerURL() string {
	if f.URL != "" {
		return f.URL
	}
	if base, ok := strings.CutSuffix(f.TokenURL, "/oauth/token"); ok && strings.Contains(base, "://") {
		return base
	}
	return ""
}

// withURL returns f naming base as its server's URL, audience and token URL.
func (f AdminFile) withURL(base string) AdminFile {
	f.URL, f.Audience, f.TokenURL = base, base+"/api/v2/", base+"/oauth/token"
	return f
}

// AdminFilePath is where tenant's admin credentials are kept in dataDir:
// admin-client.json for the default tenant, admin-client.TENANT.json for
// any other, so that tenants sharing a data dir keep a file each.
func AdminFilePath(dataDir, tenant string) string {
	name := "admin-client.json"
	if tenant != userport.DefaultTenant {
		name = "admin-client." + tenant + ".json"
	}
	return filepath.Join(dataDir, name)
}

// ReadAdminFile reads tenant's admin credentials in dataDir; the error
// wraps os.ErrNotExist when there are none.
func ReadAdminFile(dataDir, tenant string) (*AdminFile, error) {
	path := AdminFilePath(dataDir, tenant)
	if err := checkTenantFileName(tenant); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read admin client file: %w", err)
	}
	var f AdminFile
	if err := json.Unmarshal(data, &f); err != nil || f.ClientID == "" || f.ClientSecret == "" {
		return nil, fmt.Errorf("%s holds no client_id and client_secret", path)
	}
	return &f, nil
}

// checkTenantFileName refuses a tenant name that would make AdminFilePath
// leave the data dir.
func checkTenantFileName(tenant string) error {
	if tenant == "" || strings.ContainsAny(tenant, `/\`) || strings.HasPrefix(tenant, ".") {
		return fmt.Errorf("invalid tenant %q for an admin client file", userport.Excerpt(tenant))
	}
	return nil
}

// NewClient returns tenant's client id, named name, with the hash of secret
// and scopes, created at now: how every client userport makes is built.
func NewClient(tenant, id, name, secret string, scopes []string, now time.Time) *userport.Client {
	return &userport.Client{Tenant: tenant, ID: id, Name: name, SecretHash: HashSecret(secret),
		Scopes: scopes, CreatedAt: now}
}

// Admin makes sure a tenant has an admin client, a client with every scope.
type Admin struct {
	Store     userport.ClientStore
	Tenant    string
	DataDir   string // where the credentials file is written
	PublicURL string // the server's base URL, written into the file
	Clock     userport.Clock
	// ID and Secret are the configured admin client; empty, the first start
	// creates one and writes its credentials file.
	ID, Secret string
}

// Bootstrap is what Admin.Ensure did.
type Bootstrap struct {
	Path    string     // the credentials file; "" when none was needed
	File    *AdminFile // its content; nil when none was needed
	Created bool       // new credentials were made; false: an existing file's were registered
}

// Ensure puts the configured admin client with every scope. With none
// configured, a tenant that has no client gets one: the credentials in its
// file when the file exists (it is never overwritten, so a secret is never
// lost), else new ones, written to a new file (mode 0600) before the client
// is stored.
func (a *Admin) Ensure(ctx context.Context) (Bootstrap, error) {
	if a.ID != "" {
		return Bootstrap{}, a.put(ctx, a.ID, a.Secret)
	}
	n, err := a.Store.CountClients(ctx, a.Tenant)
	if err != nil || n > 0 {
		return Bootstrap{}, err
	}
	b, err := a.credentials()
	if err != nil {
		return b, err
	}
	return b, a.put(ctx, b.File.ClientID, b.File.ClientSecret)
}

// credentials reads the tenant's credentials file, or makes new
// credentials and writes them to a new one.
func (a *Admin) credentials() (Bootstrap, error) {
	b := Bootstrap{Path: AdminFilePath(a.DataDir, a.Tenant)}
	f, err := ReadAdminFile(a.DataDir, a.Tenant)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		b.File = f
		return b, err
	}
	nf := AdminFile{ClientID: NewClientID(), ClientSecret: NewClientSecret()}.withURL(a.PublicURL)
	b.File, b.Created = &nf, true
	if err := writeNew(b.Path, marshalAdminFile(b.File)); errors.Is(err, os.ErrExist) {
		return a.credentials() // another process wrote it first: take its
	} else if err != nil {
		return b, fmt.Errorf("write admin client file: %w", err)
	}
	return b, nil
}

// marshalAdminFile is the content of the credentials file f.
func marshalAdminFile(f *AdminFile) []byte {
	data, _ := json.MarshalIndent(f, "", "  ")
	return append(data, '\n')
}

// RecordURL writes the server's URL (PublicURL) into the tenant's
// credentials file, if there is one and it names another (or none), so
// that clients of the data dir find the server where it serves now. The
// file is replaced whole (a new file renamed over it): its credentials are
// kept, never lost half-written.
func (a *Admin) RecordURL() error {
	f, err := ReadAdminFile(a.DataDir, a.Tenant)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if next := f.withURL(a.PublicURL); next != *f {
		return replaceFile(AdminFilePath(a.DataDir, a.Tenant), marshalAdminFile(&next))
	}
	return nil
}

// replaceFile replaces the file at path by one holding data, mode 0600,
// whole or not at all.
func replaceFile(path string, data []byte) error {
	if err := placeFile(path, data, os.Rename); err != nil {
		return fmt.Errorf("record the server's URL in %s: %w", path, err)
	}
	return nil
}

// put stores the admin client id with every scope userport knows.
func (a *Admin) put(ctx context.Context, id, secret string) error {
	c := NewClient(a.Tenant, id, adminClientName, secret, AllScopes(), now(a.Clock))
	if err := a.Store.PutClient(ctx, c); err != nil {
		return fmt.Errorf("put admin client: %w", err)
	}
	return nil
}

// writeNew writes data to a new file at path, mode 0600, which appears
// complete or not at all and never replaces an existing file (an error
// wrapping os.ErrExist).
func writeNew(path string, data []byte) error { return placeFile(path, data, os.Link) }

// placeFile writes data to a temporary file (mode 0600) beside path and
// places it there with place (os.Link: only as a new file; os.Rename:
// over an existing one).
func placeFile(path string, data []byte, place func(tmp, path string) error) error {
	tmp, err := writeTemp(filepath.Dir(path), data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := place(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}
