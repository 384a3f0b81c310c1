package httpapi

import (
	"net/http"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/webhooks"
)

// Webhooks is what the completion webhooks' routes need (a userport
// extension, /api/v2/job-webhooks).
type Webhooks struct {
	Guard  *webhooks.Guard  // the SSRF rules a URL must pass at registration
	Sealer *webhooks.Sealer // seals the secrets it makes
}

// maxWebhookURL bounds a webhook URL.
const maxWebhookURL = 2048

// routeWebhooks registers the webhook routes.
func (s *Server) routeWebhooks(mux *routeMux) {
	mux.Handle("POST /api/v2/job-webhooks", s.authorize(s.createWebhook, auth.ScopeCreateJobWebhooks))
	mux.Handle("GET /api/v2/job-webhooks", s.authorize(s.listWebhooks, auth.ScopeReadJobWebhooks))
	mux.Handle("DELETE /api/v2/job-webhooks/{id}", s.authorize(s.deleteWebhook, auth.ScopeDeleteJobWebhooks))
	mux.Handle("POST /api/v2/job-webhooks/{id}/rotate", s.authorize(s.rotateWebhook, auth.ScopeUpdateJobWebhooks))
	mux.Handle("GET /api/v2/job-webhooks/{id}/deliveries", s.authorize(s.listDeliveries, auth.ScopeReadJobWebhooks))
}

// webhookBody is a webhook as the API shows it; Secret only in the answers
// that make one (shown once).
type webhookBody struct {
	ID                 string   `json:"id"`
	URL                string   `json:"url"`
	Events             []string `json:"events"`
	Enabled            bool     `json:"enabled"`
	DisabledReason     string   `json:"disabled_reason,omitempty"`
	Secret             string   `json:"secret,omitempty"`
	OldSecretExpiresAt string   `json:"old_secret_expires_at,omitempty"`
	CreatedAt          string   `json:"created_at"`
}

// webhookEvents are the events every webhook gets.
var webhookEvents = []string{string(userport.EventJobCompleted), string(userport.EventJobFailed), string(userport.EventJobExpired)}

// webhookJSON renders w at now, with secret ("" for none).
func webhookJSON(w *userport.Webhook, secret string, now time.Time) webhookBody {
	b := webhookBody{ID: w.ID, URL: w.URL, Events: webhookEvents, Enabled: w.Enabled(), DisabledReason: w.DisabledReason,
		Secret: secret, CreatedAt: userport.FormatTime(w.CreatedAt)}
	if w.OldSealed != nil && now.Before(w.OldUntil) {
		b.OldSecretExpiresAt = userport.FormatTime(w.OldUntil)
	}
	return b
}

// createWebhook handles POST /api/v2/job-webhooks {"url"}: 400 with the
// reason for a URL the SSRF rules refuse; the answer (201) shows the secret,
// once.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	o, err := readObject(w, r, "url")
	if err != nil {
		return err
	}
	var u string
	if err := firstError(o.require("url"), o.str("url", &u, maxWebhookURL)); err != nil {
		return err
	}
	if err := s.Webhooks.Guard.CheckURL(r.Context(), u); err != nil {
		return invalidBody("'%s' on property url.", err.Error())
	}
	hooks, err := s.Store.ListWebhooks(r.Context(), s.Tenant)
	if err != nil {
		return err
	}
	if len(hooks) >= userport.MaxWebhooksPerTenant {
		return userport.Errorf(userport.ETOOMANY, "too_many_webhooks", "A tenant may have %d webhooks: delete one first.", userport.MaxWebhooksPerTenant)
	}
	secret := webhooks.NewSecret()
	hook := &userport.Webhook{Tenant: s.Tenant, ID: userport.NewWebhookID(), URL: u, CreatedAt: s.Clock.Now()}
	hook.Sealed = s.Webhooks.Sealer.Seal(hook.ID, secret)
	if err := s.Store.CreateWebhook(r.Context(), hook); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, webhookJSON(hook, webhooks.ShowSecret(secret), s.Clock.Now()))
	return nil
}

// listWebhooks handles GET /api/v2/job-webhooks: every webhook of the
// tenant, oldest first, without secrets.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	if _, err := readQuery(r); err != nil {
		return err
	}
	hooks, err := s.Store.ListWebhooks(r.Context(), s.Tenant)
	if err != nil {
		return err
	}
	out := make([]webhookBody, len(hooks))
	for i, h := range hooks {
		out[i] = webhookJSON(h, "", s.Clock.Now())
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// webhookIDParam is the {id} of the path: 404 for one that cannot be a
// webhook's.
func webhookIDParam(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !userport.ValidWebhookID(id) {
		return "", userport.ErrWebhookNotFound()
	}
	return id, nil
}

// deleteWebhook handles DELETE /api/v2/job-webhooks/{id}: 204; its pending
// deliveries are dropped.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookIDParam(r)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteWebhook(r.Context(), s.Tenant, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateWebhook handles POST /api/v2/job-webhooks/{id}/rotate: a new
// secret, shown once; the one it replaces keeps signing beside it for
// userport.WebhookRotationOverlap (old_secret_expires_at).
func (s *Server) rotateWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookIDParam(r)
	if err != nil {
		return err
	}
	secret := webhooks.NewSecret()
	now := s.Clock.Now()
	hook, err := s.Store.UpdateWebhook(r.Context(), s.Tenant, id, func(h *userport.Webhook) error {
		h.Rotate(s.Webhooks.Sealer.Seal(h.ID, secret), now)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookJSON(hook, webhooks.ShowSecret(secret), now))
	return nil
}

// deliveryBody is one delivery as the API shows it.
type deliveryBody struct {
	ID        string                  `json:"id"` // the webhook-id header
	Type      userport.EventType      `json:"type"`
	JobID     string                  `json:"job_id"`
	Status    userport.DeliveryStatus `json:"status"`
	CreatedAt string                  `json:"created_at"`
	NextAt    string                  `json:"next_attempt_at,omitempty"`
	Attempts  []attemptBody           `json:"attempts"`
}

// attemptBody is one attempt of a delivery.
type attemptBody struct {
	At         string `json:"at"`
	StatusCode int    `json:"status_code"` // 0: no answer
	LatencyMS  int64  `json:"latency_ms"`
	Error      string `json:"error,omitempty"`
}

// listDeliveries handles GET /api/v2/job-webhooks/{id}/deliveries: the
// webhook's latest deliveries (per_page, default 50, at most 100), newest
// first, each with its attempts.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookIDParam(r)
	if err != nil {
		return err
	}
	q, err := readQuery(r, "per_page")
	if err != nil {
		return err
	}
	perPage, err := q.integer("per_page", 50, 1, 100)
	if err != nil {
		return err
	}
	if _, err := s.Store.FindWebhook(r.Context(), s.Tenant, id); err != nil {
		return err
	}
	ds, err := s.Store.ListDeliveries(r.Context(), s.Tenant, id, perPage)
	if err != nil {
		return err
	}
	out := make([]deliveryBody, len(ds))
	for i, d := range ds {
		out[i] = deliveryJSON(d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// deliveryJSON renders d.
func deliveryJSON(d *userport.WebhookDelivery) deliveryBody {
	b := deliveryBody{ID: d.EventID, Type: d.EventType, JobID: d.JobID, Status: d.Status, CreatedAt: userport.FormatTime(d.CreatedAt),
		Attempts: make([]attemptBody, len(d.Attempts))}
	if d.Status == userport.DeliveryPending {
		b.NextAt = userport.FormatTime(d.NextAt)
	}
	for i, a := range d.Attempts {
		b.Attempts[i] = attemptBody{At: userport.FormatTime(a.At), StatusCode: a.StatusCode, LatencyMS: a.LatencyMS, Error: a.Error}
	}
	return b
}
