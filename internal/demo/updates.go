package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/updates"
	"github.com/rampart-security/rampart/pkg/updateclient"
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
	if _, err = svc.Publish(ctx, req); err != nil {
		return err
	}
	return seedFleet(ctx, st, gw.ID)
}

// seedFleet adds a simulated fleet of gateways (as if they had checked in)
// and a staged rollout of the demo image to 25% of them and the beta group.
func seedFleet(ctx context.Context, st *store.Store, productID int64) error {
	fleet := updates.NewFleet(st, nil)
	if _, err := fleet.StartRollout(ctx, productID, updates.RolloutRequest{Target: GatewayImage, Percent: 25, Groups: []string{"beta"}}, User); err != nil {
		return err
	}
	countries := []string{"DE", "DE", "DE", "FR", "NL", "AT", "PL", "IT", "ES", "SE"}
	now := time.Now().UTC()
	for i := range 48 {
		seed := sha256.Sum256([]byte(fmt.Sprintf("demo gateway %d", i)))
		pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
		d := updates.Device{ProductID: productID, DeviceID: updateclient.DeviceID(pub), PublicKey: pub, Hardware: "IG-400",
			Version: "3.1.0", Country: countries[i%len(countries)], FirstSeen: now.Add(-90 * 24 * time.Hour),
			LastSeen: now.Add(-time.Duration(i*37) * time.Minute), DeviceTime: now.Add(-time.Duration(i*37) * time.Minute)}
		if i%8 == 0 {
			d.Group = "beta"
		}
		if i%3 == 0 {
			d.Version, d.LastTarget, d.LastResult = "3.2.0", GatewayImage, updateclient.ResultInstalled
		}
		if i == 47 {
			d.LastTarget, d.LastResult, d.LastMessage = GatewayImage, updateclient.ResultFailed, "demo: power lost while writing the image"
		}
		if rel, err := st.ReleaseByVersion(ctx, productID, d.Version); err == nil {
			d.ReleaseID = rel.ID
		}
		if err := st.SaveDevice(ctx, &d); err != nil {
			return err
		}
	}
	return nil
}
