package threatmodel

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed templates/*.yaml
var templateFS embed.FS

// Templates lists the starter templates by name.
func Templates() []string {
	entries, _ := templateFS.ReadDir("templates")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(out)
	return out
}

// Template returns the YAML text of a starter template.
func Template(name string) ([]byte, error) {
	data, err := templateFS.ReadFile("templates/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown template %q (have %s)", name, strings.Join(Templates(), ", "))
	}
	return data, nil
}
