package auth

import (
	"context"
	"sync"
	"time"

	"github.com/userport/userport"
)

// ClientFinder finds a tenant's client; ENOTFOUND when there is none.
// userport.ClientStore is one.
type ClientFinder interface {
	FindClient(ctx context.Context, tenant, id string) (*userport.Client, error)
}

// ClientCacheTTL is how long a ClientCache trusts that a client exists: a
// deleted client's tokens keep working for at most this long.
const ClientCacheTTL = 30 * time.Second

// maxCachedClients bounds a ClientCache; a tenant has a handful of clients.
const maxCachedClients = 1024

// ClientCache is a ClientFinder that remembers the clients Store found for
// TTL (ClientCacheTTL when zero), so that verifying a token looks its client
// up at most once per TTL. A client that is not found is not remembered: it is
// looked up again on every call. It is safe for concurrent use.
type ClientCache struct {
	Store ClientFinder
	TTL   time.Duration
	Clock userport.Clock // nil: userport.SystemClock

	mu    sync.Mutex
	found map[[2]string]cachedClient // by tenant, id
}

type cachedClient struct {
	client *userport.Client
	at     time.Time // when Store found it
}

// FindClient returns the remembered client while it is fresh, else asks Store.
func (c *ClientCache) FindClient(ctx context.Context, tenant, id string) (*userport.Client, error) {
	key, now := [2]string{tenant, id}, now(c.Clock)
	c.mu.Lock()
	e, ok := c.found[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl() {
		return e.client, nil
	}
	client, err := c.Store.FindClient(ctx, tenant, id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.found, key)
		return nil, err
	}
	if c.found == nil || len(c.found) >= maxCachedClients {
		c.found = map[[2]string]cachedClient{}
	}
	c.found[key] = cachedClient{client: client, at: now}
	return client, nil
}

func (c *ClientCache) ttl() time.Duration {
	if c.TTL <= 0 {
		return ClientCacheTTL
	}
	return c.TTL
}
