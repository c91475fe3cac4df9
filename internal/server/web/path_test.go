package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
)

// TestPathHelpers: the path-id helpers parse in order, stop at the first
// bad parameter with an invalid-input error, and load or decode only once
// the ids are good.
func TestPathHelpers(t *testing.T) {
	newReq := func(body string, params map[string]string) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		for k, v := range params {
			r.SetPathValue(k, v)
		}
		return r
	}

	a, b, err := PathIDs(newReq("", map[string]string{"id": "3", "task": "9"}), "id", "task")
	if err != nil || a != 3 || b != 9 {
		t.Fatalf("PathIDs = %d, %d, %v; want 3, 9, nil", a, b, err)
	}
	for _, params := range []map[string]string{{"id": "x", "task": "9"}, {"id": "3", "task": "0"}, {"id": "3"}} {
		if _, _, err := PathIDs(newReq("", params), "id", "task"); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("PathIDs(%v) error = %v, want invalid", params, err)
		}
	}

	loads := 0
	load := func(_ context.Context, id int64) (string, error) {
		loads++
		if id == 404 {
			return "", fault.NotFound("no object %d", id)
		}
		return "object", nil
	}
	if v, err := PathObject(newReq("", map[string]string{"id": "7"}), "id", load); err != nil || v != "object" {
		t.Errorf("PathObject = %q, %v; want object, nil", v, err)
	}
	if _, err := PathObject(newReq("", map[string]string{"id": "404"}), "id", load); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("PathObject of a missing object: error = %v, want not found", err)
	}
	if _, err := PathObject(newReq("", map[string]string{"id": "-1"}), "id", load); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("PathObject of a bad id: error = %v, want invalid", err)
	}
	if loads != 2 {
		t.Errorf("load ran %d times, want 2 (never for a bad id)", loads)
	}

	type input struct {
		Name string `json:"name"`
	}
	id, in, err := PathIDAndJSON[input](newReq(`{"name":"fw"}`, map[string]string{"id": "5"}), "id")
	if err != nil || id != 5 || in.Name != "fw" {
		t.Errorf("PathIDAndJSON = %d, %+v, %v; want 5, {fw}, nil", id, in, err)
	}
	if _, _, err := PathIDAndJSON[input](newReq(`{"name":`, map[string]string{"id": "5"}), "id"); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("PathIDAndJSON of a truncated body: error = %v, want invalid", err)
	}
	if _, _, err := PathIDAndJSON[input](newReq(`{"name":"fw"}`, map[string]string{"id": "0"}), "id"); err == nil || !strings.Contains(err.Error(), "path parameter id") {
		t.Errorf("PathIDAndJSON of a bad id: error = %v, want the path parameter named", err)
	}
}
