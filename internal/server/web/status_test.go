package web_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
)

// TestStatusTable: the error each fault constructor builds has its kind's
// one status, wrapped or not, and every kind is built by one of the cases
// (a new kind needs a case here and a row in web.Status's table).
func TestStatusTable(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{fault.NotFound("product %d", 7), http.StatusNotFound},
		{fault.Conflict("already exists"), http.StatusConflict},
		{fault.Invalid("name", "name: empty"), http.StatusBadRequest},
		{fault.Forbidden("not yours"), http.StatusForbidden},
		{fault.Unauthenticated("sign in"), http.StatusUnauthorized},
		{fault.TooMany("try later"), http.StatusTooManyRequests},
		{fault.Unprocessable(errors.New("bad report")), http.StatusUnprocessableEntity},
		{fault.Stale("version 2 is not the latest"), http.StatusPreconditionFailed},
		{fault.PreconditionRequired("If-Match is required"), http.StatusPreconditionRequired},
	}
	covered := map[fault.Kind]bool{}
	for _, c := range cases {
		k := fault.KindOf(c.err)
		if covered[k] {
			t.Errorf("kind %v: more than one case", k)
		}
		covered[k] = true
		if got := web.Status(c.err); got != c.want {
			t.Errorf("Status(kind %v) = %d, want %d", k, got, c.want)
		}
		if got := web.Status(fmt.Errorf("context: %w", c.err)); got != c.want {
			t.Errorf("Status(wrapped kind %v) = %d, want %d", k, got, c.want)
		}
	}
	for _, k := range fault.Kinds() {
		if !covered[k] {
			t.Errorf("kind %v: no case in this test (add one here and a row to web.Status's table)", k)
		}
	}
	if covered[fault.KindInternal] {
		t.Error("a case builds an unclassified error")
	}
}

// typedStale is a typed error classified by its sentinel, as
// portfolio.StaleVersion is.
type typedStale struct{}

func (typedStale) Error() string { return "stale" }
func (typedStale) Unwrap() error { return fault.ErrStale }

func TestStatusOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"unclassified", errors.New("disk on fire"), http.StatusInternalServerError},
		{"sentinel", fmt.Errorf("x: %w", fault.ErrNotFound), http.StatusNotFound},
		{"typed error unwrapping to a sentinel", fmt.Errorf("edit: %w", typedStale{}), http.StatusPreconditionFailed},
		{"invalid field", fault.Invalid("name", "name: empty"), http.StatusBadRequest},
		{"bad cursor", store.ErrBadCursor, http.StatusBadRequest},
		{"body too large", fault.Unprocessable(&http.MaxBytesError{Limit: 10}), http.StatusRequestEntityTooLarge},
		// A not-found under a content error keeps its own status.
		{"not found inside unprocessable", fault.Unprocessable(fmt.Errorf("release 9: %w", fault.ErrNotFound)), http.StatusNotFound},
	}
	for _, c := range cases {
		if got := web.Status(c.err); got != c.want {
			t.Errorf("%s: Status(%v) = %d, want %d", c.name, c.err, got, c.want)
		}
	}
}

var discard = slog.New(slog.DiscardHandler)

// TestWriteErrorProblem: the problem body names the field of an invalid
// input, shows the message of a classified error, and hides an internal one.
func TestWriteErrorProblem(t *testing.T) {
	cases := []struct {
		err    error
		status int
		body   string
	}{
		{fault.Invalid("name", "name: must not be empty"), 400, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"name: must not be empty","instance":"/x","field":"name"}`},
		{fault.Invalid("", "path parameter id: %q is not a valid id", "a"), 400, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"path parameter id: \"a\" is not a valid id","instance":"/x"}`},
		{fault.PreconditionRequired("If-Match is required"), 428, `{"type":"about:blank","title":"Precondition Required","status":428,"detail":"If-Match is required","instance":"/x"}`},
		{fault.Unprocessable(errors.New("bad.sarif: line 3: unexpected EOF")), 422, `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"bad.sarif: line 3: unexpected EOF","instance":"/x"}`},
		{errors.New("secret connection string"), 500, `{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"internal error; the server log has the details","instance":"/x"}`},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		web.WriteError(w, httptest.NewRequest("GET", "/x", nil), discard, c.err)
		if w.Code != c.status || strings.TrimSpace(w.Body.String()) != c.body || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%v: %d %s\nwant %d %s", c.err, w.Code, w.Body.String(), c.status, c.body)
		}
	}
}
