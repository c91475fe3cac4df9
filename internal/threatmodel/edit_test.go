package threatmodel

import (
	"errors"
	"strings"
	"testing"
)

const editSource = `# Hand-written model: keep this comment.
rampart: threatmodel/v1
id: shop
title: Shop
boundaries:
  - id: dmz # the edge
    name: DMZ
  - id: inner
    name: Inner
    parent: dmz
elements:
  # people first
  - id: user
    name: User
    type: external_entity
  - {id: api, name: API, type: process, boundary: inner}
  - id: db
    name: Orders DB
    type: data_store
    boundary: inner
flows:
  - id: f1 # login
    from: user
    to: api
    protocol: https
    encrypted: true
  - {id: f2, from: api, to: db, protocol: postgres}
`

func mustEdit(t *testing.T, src string, e Edit) *EditResult {
	t.Helper()
	r, err := ApplyEdit([]byte(src), "shop.yaml", e)
	if err != nil {
		t.Fatalf("edit %+v: %v", e, err)
	}
	return r
}

func TestApplyEditKeepsCommentsAndOrder(t *testing.T) {
	r := mustEdit(t, editSource, Edit{Collection: CollectionElements, Action: EditAdd,
		Fields: []byte(`{"name":"Mobile app","type":"process","kind":"mobile_app","position":{"x":40,"y":80}}`)})
	if r.ID != "mobile-app" {
		t.Fatalf("generated id %q, want mobile-app", r.ID)
	}
	out := string(r.Source)
	for _, want := range []string{"# Hand-written model: keep this comment.", "# the edge", "# people first", "# login",
		"- {id: api, name: API, type: process, boundary: inner}", "layout:", `mobile-app: {x: 40, "y": 80}`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lost %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "boundaries:") > strings.Index(out, "elements:") || strings.Index(out, "elements:") > strings.Index(out, "flows:") {
		t.Errorf("top-level order changed:\n%s", out)
	}
	if e := r.Model.Element("mobile-app"); e == nil || e.Kind != "mobile_app" {
		t.Fatalf("element not in model: %+v", e)
	}
	if p := r.Model.Position(CollectionElements, "mobile-app"); p == nil || p.X != 40 || p.Y != 80 {
		t.Fatalf("position %+v", p)
	}
	// A second add with the same name gets a fresh id.
	r2 := mustEdit(t, out, Edit{Collection: CollectionElements, Action: EditAdd, Fields: []byte(`{"name":"Mobile app","type":"process"}`)})
	if r2.ID != "mobile-app-2" {
		t.Fatalf("second id %q", r2.ID)
	}
}

func TestApplyEditUpdate(t *testing.T) {
	r := mustEdit(t, editSource, Edit{Collection: CollectionFlows, Action: EditUpdate, ID: "f1",
		Fields: []byte(`{"protocol":"http","encrypted":false,"authentication":"token"}`)})
	out := string(r.Source)
	if !strings.Contains(out, "protocol: http # ") && !strings.Contains(out, "id: f1 # login") {
		t.Errorf("comment lost:\n%s", out)
	}
	f := r.Model.Flow("f1")
	if f.Protocol != "http" || f.Encrypted || f.Authentication != "token" {
		t.Fatalf("flow %+v", f)
	}
	if strings.Contains(out, "encrypted: false") {
		t.Errorf("a zero optional value should remove the key:\n%s", out)
	}

	// Move an element out of its boundary (null removes) and into another.
	r = mustEdit(t, editSource, Edit{Collection: CollectionElements, Action: EditUpdate, ID: "db", Fields: []byte(`{"boundary":null,"position":{"x":1,"y":2}}`)})
	if b := r.Model.Element("db").Boundary; b != "" {
		t.Fatalf("boundary %q, want none", b)
	}
	r = mustEdit(t, string(r.Source), Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"boundary":"dmz","name":"Customer"}`)})
	if u := r.Model.Element("user"); u.Boundary != "dmz" || u.Name != "Customer" {
		t.Fatalf("user %+v", u)
	}
	// Nested device attributes merge.
	r = mustEdit(t, editSource, Edit{Collection: CollectionElements, Action: EditUpdate, ID: "api",
		Fields: []byte(`{"type":"device","device":{"secure_boot":true,"update":{"mechanism":"ota","signed":true}}}`)})
	if d := r.Model.Element("api").Device; d == nil || !d.SecureBoot || d.Update.Mechanism != "ota" || !d.Update.Signed {
		t.Fatalf("device %+v", d)
	}
	r = mustEdit(t, string(r.Source), Edit{Collection: CollectionElements, Action: EditUpdate, ID: "api", Fields: []byte(`{"device":{"update":{"signed":false}}}`)})
	if d := r.Model.Element("api").Device; !d.SecureBoot || d.Update.Signed || d.Update.Mechanism != "ota" {
		t.Fatalf("device after merge %+v", d)
	}
}

func TestApplyEditDeleteCascades(t *testing.T) {
	r := mustEdit(t, editSource, Edit{Collection: CollectionElements, Action: EditDelete, ID: "api"})
	if len(r.Model.Flows) != 0 || strings.Contains(string(r.Source), "flows:") {
		t.Fatalf("flows of the deleted element remain:\n%s", r.Source)
	}
	if strings.Join(r.Removed, ",") != "flow f1,flow f2" {
		t.Fatalf("removed %v", r.Removed)
	}
	r = mustEdit(t, editSource, Edit{Collection: CollectionBoundaries, Action: EditDelete, ID: "inner"})
	if r.Model.Element("api").Boundary != "dmz" || r.Model.Element("db").Boundary != "dmz" {
		t.Fatalf("members not moved to the parent:\n%s", r.Source)
	}
	r = mustEdit(t, string(r.Source), Edit{Collection: CollectionBoundaries, Action: EditDelete, ID: "dmz"})
	if r.Model.Element("api").Boundary != "" || strings.Contains(string(r.Source), "boundaries:") {
		t.Fatalf("boundary left behind:\n%s", r.Source)
	}
	r = mustEdit(t, editSource, Edit{Collection: CollectionFlows, Action: EditDelete, ID: "f2"})
	if r.Model.Flow("f2") != nil || r.Model.Flow("f1") == nil {
		t.Fatal("wrong flow deleted")
	}
}

func TestApplyEditLayoutOnlyTouchesLayout(t *testing.T) {
	r := mustEdit(t, editSource, Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"position":{"x":10.26,"y":20}}`)})
	r = mustEdit(t, string(r.Source), Edit{Collection: CollectionBoundaries, Action: EditUpdate, ID: "dmz", Fields: []byte(`{"position":{"x":0,"y":0,"w":300,"h":200}}`)})
	out := string(r.Source)
	if !strings.HasPrefix(out, strings.TrimSuffix(editSource, "\n")) {
		t.Errorf("a move changed the model above the layout:\n%s", out)
	}
	if p := r.Model.Position(CollectionElements, "user"); p.X != 10.3 {
		t.Errorf("x %v, want rounded 10.3", p.X)
	}
	d := Compare(mustParse(t, editSource), nil, r.Model, nil)
	if !d.Empty() {
		t.Errorf("moving changed the diff: %+v", d)
	}
	r = mustEdit(t, out, Edit{Collection: CollectionElements, Action: EditDelete, ID: "user"})
	if r.Model.Position(CollectionElements, "user") != nil {
		t.Error("the layout of a deleted element remains")
	}
}

func mustParse(t *testing.T, src string) *Model {
	t.Helper()
	m, err := Parse([]byte(src), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestApplyEditRefusals(t *testing.T) {
	cases := []struct {
		e     Edit
		field string
		want  string
	}{
		{Edit{Collection: CollectionElements, Action: EditAdd, Fields: []byte(`{"id":"user","name":"U","type":"process"}`)}, "id", "already exists"},
		{Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"nmae":"x"}`)}, "nmae", `did you mean "name"`},
		{Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"id":"other"}`)}, "id", "cannot be changed"},
		{Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"name":null}`)}, "name", "required"},
		{Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"internet_facing":"yes"}`)}, "internet_facing", "cannot unmarshal"},
		{Edit{Collection: CollectionFlows, Action: EditUpdate, ID: "f1", Fields: []byte(`{"position":{"x":1,"y":1}}`)}, "position", "no position"},
		{Edit{Collection: CollectionElements, Action: EditUpdate, ID: "user", Fields: []byte(`{"position":{"x":1,"y":1,"z":3}}`)}, "position", "unknown field"},
		{Edit{Collection: "assets", Action: EditAdd, Fields: []byte(`{}`)}, "collection", "not elements"},
		{Edit{Collection: CollectionElements, Action: EditAdd, Fields: []byte(`[1]`)}, "", "JSON object"},
	}
	for _, c := range cases {
		_, err := ApplyEdit([]byte(editSource), "shop.yaml", c.e)
		var ee *EditError
		if !errors.As(err, &ee) || ee.Field != c.field || !strings.Contains(ee.Msg, c.want) {
			t.Errorf("%+v: got %v (field %v), want field %q with %q", c.e, err, ee, c.field, c.want)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v does not wrap ErrInvalid", c.e, err)
		}
	}
	// A dangling reference fails validation, naming the position.
	_, err := ApplyEdit([]byte(editSource), "shop.yaml", Edit{Collection: CollectionFlows, Action: EditAdd, Fields: []byte(`{"from":"user","to":"nowhere"}`)})
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("dangling flow: %v", err)
	}
	_, err = ApplyEdit([]byte(editSource), "shop.yaml", Edit{Collection: CollectionElements, Action: EditDelete, ID: "ghost"})
	if !errors.Is(err, ErrEditNotFound) {
		t.Errorf("delete of a missing element: %v", err)
	}
}
