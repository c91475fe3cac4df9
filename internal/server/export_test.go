package server

import (
	"context"
	"net/http"
)

// HTTPServer exposes the http.Server Serve runs, for tests of its limits.
func (s *Server) HTTPServer(ctx context.Context) *http.Server { return s.httpServer(ctx) }
