package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/server/web"
)

// tufRoutes serve each product's TUF repository to devices. They are
// public: every file is signed and a device verifies it against the root it
// was provisioned with, so no token is needed (and devices have none).
// Anything missing answers a plain 404, which go-tuf needs to end its root
// walk, never a UI page.
func (h handler) tufRoutes() []web.Route {
	return []web.Route{
		{Method: "GET", Pattern: "/tuf/{slug}/metadata/{file}", Public: true, Handler: h.tufMetadata},
		{Method: "GET", Pattern: "/tuf/{slug}/targets/{file}", Public: true, Handler: h.tufTarget},
		{Method: "GET", Pattern: "/tuf/", Public: true, Handler: tufNotFound},
	}
}

func tufNotFound(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("404 not found\n"))
}

func (h handler) tufServe(w http.ResponseWriter, r *http.Request, data []byte, err error, contentType, cache string) {
	if errors.Is(err, fault.ErrNotFound) || (err == nil && data == nil) {
		tufNotFound(w, r)
		return
	}
	if err != nil {
		h.Log.ErrorContext(r.Context(), "serve TUF repository", "path", r.URL.Path, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("repository unavailable, retry later\n"))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", cache)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

func (h handler) tufMetadata(w http.ResponseWriter, r *http.Request) {
	if h.Updates == nil {
		tufNotFound(w, r)
		return
	}
	file := r.PathValue("file")
	data, err := h.Updates.File(r.Context(), r.PathValue("slug"), file)
	// Versioned files never change; timestamp.json and root.json do.
	cache := "public, max-age=31536000, immutable"
	if file == "timestamp.json" || file == "root.json" {
		cache = "no-cache"
	}
	h.tufServe(w, r, data, err, "application/json", cache)
}

func (h handler) tufTarget(w http.ResponseWriter, r *http.Request) {
	if h.Updates == nil {
		tufNotFound(w, r)
		return
	}
	data, err := h.Updates.TargetFile(r.Context(), r.PathValue("slug"), r.PathValue("file"))
	h.tufServe(w, r, data, err, "application/octet-stream", "public, max-age=31536000, immutable")
}
