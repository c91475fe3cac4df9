package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/updates"
)

// GatewaySlug is the update repository slug of the demo gateway product.
const GatewaySlug = "acme-gateway"

// GatewayImage is the demo gateway's published firmware target.
const GatewayImage = "ig400-3.2.0.img"

// DemoImage returns the bytes of the demo firmware image (deterministic, so
// its digest is stable between starts).
func DemoImage() []byte {
	var b bytes.Buffer
	b.WriteString("RAMPART-DEMO-FIRMWARE IG-400 3.2.0\n")
	seed := sha256.Sum256([]byte("ig400-3.2.0"))
	for b.Len() < 64<<10 {
		seed = sha256.Sum256(seed[:])
		b.Write(seed[:])
	}
	return b.Bytes()
}

// SeedUpdates creates the demo gateway's update repository and publishes one
// signed image, unless the repository exists. The demo's offline root key is
// written to keysDir so the demo can show a root rotation; real repositories
// are made with 'rampart updates init --keys DIR' on an offline machine.
func SeedUpdates(ctx context.Context, st *store.Store, seal updates.Sealer, keysDir string) error {
	if _, err := st.UpdateRepo(ctx, GatewaySlug); err == nil {
		return nil
	} else if !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	gw, err := st.ProductByName(ctx, Portfolio()[0].Name)
	if err != nil {
		return fmt.Errorf("demo gateway product: %w", err)
	}
	svc := updates.New(st, seal, nil)
	if _, err := svc.Init(ctx, updates.InitRequest{Slug: GatewaySlug, ProductID: gw.ID,
		SaveKeys: func(k []updates.Key) error { return updates.WriteRootKeys(keysDir, k) }}); err != nil {
		return err
	}
	req := updates.PublishRequest{Slug: GatewaySlug, Name: GatewayImage, Content: DemoImage(), Hardware: "IG-400", Version: "3.2.0"}
	if rel, err := st.ReleaseByVersion(ctx, gw.ID, "3.2.0"); err == nil {
		req.ReleaseID = rel.ID
	}
	_, err = svc.Publish(ctx, req)
	return err
}
