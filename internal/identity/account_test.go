package identity

import (
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
)

func TestValidate(t *testing.T) {
	editor, bogus := RoleEditor, Role("root")
	for _, tc := range []struct {
		name  string
		err   error
		field string // "" for no error
		msg   string
	}{
		{"user ok", (&User{Name: " alice ", Role: RoleViewer}).Validate(), "", ""},
		{"user empty name", (&User{Name: "  ", Role: RoleViewer}).Validate(), "name", "name: must be 1 to 100 characters"},
		{"user long name", (&User{Name: strings.Repeat("a", 101), Role: RoleViewer}).Validate(), "name", "name: must be 1 to 100 characters"},
		{"user bad role", (&User{Name: "alice", Role: "root"}).Validate(), "role", "role: must be admin, editor or viewer"},
		{"update ok", UserUpdate{Role: &editor}.Validate(), "", ""},
		{"update nothing", UserUpdate{}.Validate(), "", ""},
		{"update bad role", UserUpdate{Role: &bogus}.Validate(), "role", "role: must be admin, editor or viewer"},
		{"product role ok", ProductAuditor.Validate(), "", ""},
		{"product role bad", ProductRole("admin").Validate(), "role", `role: product role "admin": must be owner, editor, viewer or auditor`},
		{"token ok", (&TokenRequest{Name: "ci", Scopes: []Scope{ScopeAll}}).Validate(), "", ""},
		{"token no scopes", (&TokenRequest{Name: "ci"}).Validate(), "scopes", "scopes: must name at least one scope"},
		{"token blank name", (&TokenRequest{Name: " ", Scopes: []Scope{ScopeAll}}).Validate(), "name", "name: must be 1 to 100 characters"},
	} {
		if tc.field == "" {
			if tc.err != nil {
				t.Errorf("%s: %v, want no error", tc.name, tc.err)
			}
			continue
		}
		if fault.KindOf(tc.err) != fault.KindInvalid || fault.FieldOf(tc.err) != tc.field || tc.err.Error() != tc.msg {
			t.Errorf("%s: %v (field %q), want invalid %s: %q", tc.name, tc.err, fault.FieldOf(tc.err), tc.field, tc.msg)
		}
	}
	u := User{Name: " alice ", Role: RoleViewer}
	if err := u.Validate(); err != nil || u.Name != "alice" {
		t.Errorf("Validate kept name %q (%v), want it trimmed", u.Name, err)
	}
	p := Passkey{Name: "  "}
	if p.Normalize(); p.Name != DefaultPasskeyName {
		t.Errorf("unnamed passkey is called %q, want %q", p.Name, DefaultPasskeyName)
	}
}
