package vaultkv_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/respondhq/respond/internal/targets/vaultkv/vaultsim"
)

// vaultDelete soft-deletes a secret's current version as someone else
// would.
func vaultDelete(ctx context.Context, w *world, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, w.sim.Env()["VAULT_ADDR"]+"/v1/"+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Vault-Token", w.vault.Token(vaultsim.TokenAdmin))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("DELETE %s: %s", path, resp.Status)
	}
	return nil
}
