package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/threatmodel"
)

// editCall sends a write with If-Match (omitted when ifMatch is "").
func (e *env) editCall(t *testing.T, role, method, path, ifMatch string, body any, out any) *http.Response {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	if ifMatch != "" {
		h.Set("If-Match", ifMatch)
	}
	return e.callWith(t, role, method, path, h, body, out)
}

type editResponse struct {
	Version struct {
		Version   int    `json:"version"`
		CreatedBy string `json:"created_by"`
		Note      string `json:"note"`
	} `json:"version"`
	Created bool              `json:"created"`
	ID      string            `json:"id"`
	Removed []string          `json:"removed"`
	Item    map[string]any    `json:"item"`
	Diff    *threatmodel.Diff `json:"diff"`
	Detail  string            `json:"detail"`
	Field   string            `json:"field"`
}

func TestThreatModelEditAPI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			p := e.newProduct(t, "Thermostat")
			base := fmt.Sprintf("/api/v1/products/%d/threatmodel", p.ID)

			// A product without a model: version 0, nothing in it.
			var list struct {
				ModelVersion int              `json:"model_version"`
				Elements     []map[string]any `json:"elements"`
			}
			r := e.call(t, "viewer", "GET", base+"/elements", nil, &list)
			if r.StatusCode != 200 || list.ModelVersion != 0 || len(list.Elements) != 0 || r.Header.Get("ETag") != `"0"` {
				t.Fatalf("empty list: %d %+v etag %q", r.StatusCode, list, r.Header.Get("ETag"))
			}
			app := map[string]any{"name": "Phone app", "type": "process", "kind": "mobile_app", "position": map[string]any{"x": 40, "y": 60}}
			var res editResponse
			if r := e.editCall(t, "editor", "POST", base+"/elements", "", app, &res); r.StatusCode != 428 {
				t.Fatalf("no If-Match: %d %s", r.StatusCode, res.Detail)
			}
			if r := e.editCall(t, "viewer", "POST", base+"/elements", `"0"`, app, nil); r.StatusCode != 403 {
				t.Fatalf("viewer add: %d", r.StatusCode)
			}
			if r := e.editCall(t, "editor", "POST", base+"/elements", "zero", app, &res); r.StatusCode != 400 {
				t.Fatalf("bad If-Match: %d", r.StatusCode)
			}
			r = e.editCall(t, "editor", "POST", base+"/elements", `"0"`, app, &res)
			if r.StatusCode != 201 || res.Version.Version != 1 || res.ID != "phone-app" || res.Version.CreatedBy != "ed" || r.Header.Get("ETag") != `"1"` {
				t.Fatalf("add first element: %d %+v", r.StatusCode, res)
			}
			if pos, _ := res.Item["position"].(map[string]any); pos["x"] != 40.0 {
				t.Errorf("item position: %+v", res.Item)
			}
			if !slices.Equal(res.Diff.Elements.Added, []string{"phone-app"}) {
				t.Errorf("diff: %+v", res.Diff.Elements)
			}
			r = e.editCall(t, "editor", "POST", base+"/elements", `"1"`, map[string]any{"id": "cloud", "name": "Cloud API", "type": "process", "internet_facing": true}, &res)
			if r.StatusCode != 201 || res.Version.Version != 2 {
				t.Fatalf("add second element: %d %+v", r.StatusCode, res)
			}

			// A plain-text flow brings threats, each with why.
			r = e.editCall(t, "editor", "POST", base+"/flows", `W/"2"`, map[string]any{"id": "sync", "from": "phone-app", "to": "cloud", "protocol": "http", "network": "internet"}, &res)
			if r.StatusCode != 201 || res.Version.Version != 3 || len(res.Diff.Threats.Added) == 0 {
				t.Fatalf("add flow: %d %+v", r.StatusCode, res)
			}
			flowThreats := 0
			for _, th := range res.Diff.Threats.Added {
				if th.Target == "sync" {
					flowThreats++
					if th.Why == "" {
						t.Errorf("threat %s without why", th.ID)
					}
				}
			}
			if flowThreats == 0 {
				t.Fatalf("no threats on the new flow: %+v", res.Diff.Threats.Added)
			}

			// A change made on version 2 is refused with what changed since.
			var stale struct {
				Status         int `json:"status"`
				CurrentVersion struct {
					Version int `json:"version"`
				} `json:"current_version"`
				Diff *threatmodel.Diff `json:"diff"`
			}
			r = e.editCall(t, "editor", "PATCH", base+"/flows/sync", `"2"`, map[string]any{"encrypted": true}, &stale)
			if r.StatusCode != 412 || stale.CurrentVersion.Version != 3 || stale.Diff == nil || !slices.Equal(stale.Diff.Flows.Added, []string{"sync"}) || r.Header.Get("ETag") != `"3"` {
				t.Fatalf("stale If-Match: %d %+v", r.StatusCode, stale)
			}
			for _, path := range []string{base + "/elements/cloud", base + "/boundaries/x"} {
				if r := e.editCall(t, "editor", "DELETE", path, `"1"`, nil, nil); r.StatusCode != 412 {
					t.Errorf("stale delete %s: %d", path, r.StatusCode)
				}
				if r := e.editCall(t, "editor", "DELETE", path, "", nil, nil); r.StatusCode != 428 {
					t.Errorf("delete without If-Match %s: %d", path, r.StatusCode)
				}
			}

			// Encrypting the flow removes threats.
			r = e.editCall(t, "editor", "PATCH", base+"/flows/sync", `"3"`, map[string]any{"encrypted": true, "protocol": "https", "authentication": "token"}, &res)
			if r.StatusCode != 200 || res.Version.Version != 4 || len(res.Diff.Threats.Removed) == 0 || !slices.Equal(res.Diff.Flows.Changed, []string{"sync"}) {
				t.Fatalf("encrypt flow: %d %+v", r.StatusCode, res)
			}
			if res.Item["encrypted"] != true {
				t.Errorf("flow item: %+v", res.Item)
			}
			// The same change again makes no version.
			r = e.editCall(t, "editor", "PATCH", base+"/flows/sync", `"4"`, map[string]any{"encrypted": true}, &res)
			if r.StatusCode != 200 || res.Created || res.Version.Version != 4 {
				t.Errorf("no-op patch: %d %+v", r.StatusCode, res)
			}

			// A boundary, and an element moved into it.
			r = e.editCall(t, "editor", "POST", base+"/boundaries", `"4"`, map[string]any{"name": "Cloud", "type": "cloud", "position": map[string]any{"x": 300, "y": 20, "w": 260, "h": 200}}, &res)
			if r.StatusCode != 201 || res.ID != "cloud-2" || res.Version.Version != 5 {
				t.Fatalf("add boundary: %d %+v", r.StatusCode, res)
			}
			bid := res.ID
			r = e.editCall(t, "editor", "PATCH", base+"/elements/cloud", `"5"`, map[string]any{"boundary": bid, "position": map[string]any{"x": 340, "y": 80}}, &res)
			if r.StatusCode != 200 || res.Version.Version != 6 || res.Item["boundary"] != bid || !slices.Equal(res.Diff.Elements.Changed, []string{"cloud"}) {
				t.Fatalf("move into boundary: %d %+v", r.StatusCode, res)
			}
			var blist struct {
				Boundaries []map[string]any `json:"boundaries"`
			}
			e.call(t, "viewer", "GET", base+"/boundaries", nil, &blist)
			if len(blist.Boundaries) != 1 || blist.Boundaries[0]["position"].(map[string]any)["w"] != 260.0 {
				t.Errorf("boundaries: %+v", blist)
			}
			var flist struct {
				Flows []map[string]any `json:"flows"`
			}
			e.call(t, "viewer", "GET", base+"/flows?version=3", nil, &flist)
			if len(flist.Flows) != 1 || flist.Flows[0]["encrypted"] != nil {
				t.Errorf("flows of version 3: %+v", flist)
			}

			// Refusals name the field.
			if r := e.editCall(t, "editor", "PATCH", base+"/elements/cloud", `"6"`, map[string]any{"internet_facng": true}, &res); r.StatusCode != 400 || res.Field != "internet_facng" {
				t.Errorf("unknown field: %d %+v", r.StatusCode, res)
			}
			if r := e.editCall(t, "editor", "PATCH", base+"/elements/ghost", `"6"`, map[string]any{"name": "x"}, nil); r.StatusCode != 404 {
				t.Errorf("missing element: %d", r.StatusCode)
			}
			if r := e.editCall(t, "editor", "POST", base+"/flows", `"6"`, map[string]any{"from": "cloud", "to": "nowhere"}, &res); r.StatusCode != 422 || !strings.Contains(res.Detail, "nowhere") {
				t.Errorf("dangling flow: %d %+v", r.StatusCode, res)
			}
			if r := e.editCall(t, "editor", "PATCH", base+"/elements/cloud", `"6"`, map[string]any{"id": "renamed"}, &res); r.StatusCode != 400 || res.Field != "id" {
				t.Errorf("id change: %d %+v", r.StatusCode, res)
			}

			// Deletes: the boundary (its member moves out), the flow, an element.
			r = e.editCall(t, "editor", "DELETE", base+"/boundaries/"+bid, `"6"`, nil, &res)
			if r.StatusCode != 200 || res.Version.Version != 7 || len(res.Removed) != 1 || !strings.Contains(res.Removed[0], "element cloud") {
				t.Fatalf("delete boundary: %d %+v", r.StatusCode, res)
			}
			r = e.editCall(t, "editor", "POST", base+"/flows", `"7"`, map[string]any{"id": "back", "from": "cloud", "to": "phone-app", "protocol": "mqtt"}, &res)
			if r.StatusCode != 201 || res.Version.Version != 8 {
				t.Fatalf("add flow back: %d %+v", r.StatusCode, res)
			}
			r = e.editCall(t, "editor", "DELETE", base+"/flows/back", `"8"`, nil, &res)
			if r.StatusCode != 200 || res.Version.Version != 9 || !slices.Equal(res.Diff.Flows.Removed, []string{"back"}) {
				t.Fatalf("delete flow: %d %+v", r.StatusCode, res)
			}
			r = e.editCall(t, "editor", "DELETE", base+"/elements/phone-app", `"9"`, nil, &res)
			if r.StatusCode != 200 || res.Version.Version != 10 || !slices.Equal(res.Removed, []string{"flow sync"}) || !slices.Equal(res.Diff.Flows.Removed, []string{"sync"}) {
				t.Fatalf("delete element: %d %+v", r.StatusCode, res)
			}

			// Every write is a version by its author; the YAML has the layout.
			var versions struct {
				Items []struct {
					Version   int    `json:"version"`
					CreatedBy string `json:"created_by"`
					Note      string `json:"note"`
				} `json:"items"`
			}
			e.call(t, "viewer", "GET", base+"/versions", nil, &versions)
			if len(versions.Items) != 10 || versions.Items[0].CreatedBy != "ed" || versions.Items[0].Note != "delete element phone-app" {
				t.Errorf("versions: %+v", versions.Items)
			}
			r = e.call(t, "viewer", "GET", base+"?format=yaml&version=6", nil, nil)
			src, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(src), "layout:") || !strings.Contains(string(src), "cloud: {x: 340") {
				t.Errorf("layout not in YAML:\n%s", src)
			}

			// Export: the diagram as the editor draws it, SVG and PNG.
			r = e.call(t, "viewer", "GET", base+"/diagram.svg?version=6", nil, nil)
			svg, _ := io.ReadAll(r.Body)
			if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(svg), `id="boundary-`+bid+`"`) ||
				!strings.Contains(r.Header.Get("Content-Disposition"), "-v6.svg") {
				t.Errorf("diagram.svg: %d %s %q\n%.300s", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"), svg)
			}
			r = e.call(t, "viewer", "GET", base+"/diagram.png", nil, nil)
			pngData, _ := io.ReadAll(r.Body)
			if img, err := png.Decode(bytes.NewReader(pngData)); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" || err != nil || img.Bounds().Dx() < 400 {
				t.Errorf("diagram.png: %d %s %v", r.StatusCode, r.Header.Get("Content-Type"), err)
			}
			if os.Getenv("RAMPART_SCREENSHOTS") != "" {
				_ = os.WriteFile(os.Getenv("RAMPART_SCREENSHOTS")+"/tmedit-export-"+engine+".png", pngData, 0o644)
			}
			none := e.newProduct(t, "Empty")
			if r := e.call(t, "viewer", "GET", fmt.Sprintf("/api/v1/products/%d/threatmodel/diagram.png", none.ID), nil, nil); r.StatusCode != 404 {
				t.Errorf("diagram of a product without a model: %d", r.StatusCode)
			}
		})
	}
}

// Concurrent writes on the same version: one wins, the others get 412.
func TestThreatModelEditConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := e.newProduct(t, "Lock")
		base := fmt.Sprintf("/api/v1/products/%d/threatmodel", p.ID)
		const n = 4
		codes := make(chan int, n)
		for i := range n {
			go func() {
				js, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("Element %d", i), "type": "process"})
				req, _ := http.NewRequest("POST", e.url+base+"/elements", bytes.NewReader(js))
				req.Header.Set("Authorization", "Bearer "+e.tokens["editor"])
				req.Header.Set("If-Match", `"0"`)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					codes <- 0
					return
				}
				resp.Body.Close()
				codes <- resp.StatusCode
			}()
		}
		got := map[int]int{}
		for range n {
			got[<-codes]++
		}
		if got[201] != 1 || got[412] != n-1 {
			t.Fatalf("statuses %v, want one 201 and %d 412", got, n-1)
		}
		var versions struct {
			Items []struct{ Version int } `json:"items"`
		}
		e.call(t, "viewer", "GET", base+"/versions", nil, &versions)
		if len(versions.Items) != 1 {
			t.Errorf("versions: %+v", versions.Items)
		}
	})
}

// A hand-written model keeps its comments through an upload and an edit.
func TestThreatModelEditKeepsHandWrittenYAML(t *testing.T) {
	e := newEnv(t, "sqlite")
	p := e.newProduct(t, "Hub")
	base := fmt.Sprintf("/api/v1/products/%d/threatmodel", p.ID)
	src := "# Owned by the platform team.\nrampart: threatmodel/v1\nid: hub\ntitle: Hub\nelements:\n  # the thing on the wall\n  - id: hub\n    name: Hub\n    type: device # zigbee inside\n  - {id: app, name: App, type: process}\nflows:\n  - {id: pair, from: app, to: hub, protocol: ble}\n"
	if r := e.call(t, "editor", "PUT", base, []byte(src), nil); r.StatusCode != 201 {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	var res editResponse
	if r := e.editCall(t, "editor", "PATCH", base+"/elements/hub", `"1"`, map[string]any{"name": "Smart hub", "position": map[string]any{"x": 10, "y": 20}}, &res); r.StatusCode != 200 {
		t.Fatalf("patch: %d %+v", r.StatusCode, res)
	}
	got := string(getYAML(t, e, p.ID))
	for _, want := range []string{"# Owned by the platform team.", "# the thing on the wall", "type: device # zigbee inside", "name: Smart hub", "- {id: app, name: App, type: process}", "hub: {x: 10"} {
		if !strings.Contains(got, want) {
			t.Errorf("model lost %q:\n%s", want, got)
		}
	}
}
