package sim

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// DefaultServices, when set, lists the services a simulator serves when
// Options.Services is nil: internal/plugins sets it to the fakes the
// registered plug-ins declare, so every simulator respond starts serves
// every provider's and target's API.
var DefaultServices func() []simapi.Factory

// simService is one of Options.Services, built.
type simService struct {
	simapi.Service
	rand *seededReader
}

// reservedPrefixes are served by the simulator itself.
var reservedPrefixes = []string{"/_", "/v1/", "/api/", "/repos/", "/orgs/", "/user/", "/users/", "/graphql/", "/credentials/"}

// buildServices builds Options.Services, checking that their names and
// prefixes are unique and clear of the simulator's own.
func (s *Sim) buildServices(factories []simapi.Factory) error {
	names := map[string]bool{APIOpenAI: true, APIGitHub: true, APIDrill: true}
	prefixes := map[string]string{}
	for _, f := range factories {
		if f == nil {
			continue
		}
		rnd := newSeededReader([32]byte{})
		sv := f(simapi.Options{Now: s.now, Rand: rnd})
		name, prefix := sv.Name(), sv.Prefix()
		switch {
		case name == "" || strings.ToLower(name) != name:
			return fmt.Errorf("simulated service %T: its name %q must be lower case and not empty", sv, name)
		case names[name]:
			return fmt.Errorf("simulated service %q is registered twice (or takes a name the simulator uses)", name)
		case !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") || len(prefix) < 3:
			return fmt.Errorf("simulated service %q: prefix %q must start and end with /", name, prefix)
		case prefixes[prefix] != "":
			return fmt.Errorf("simulated services %q and %q both want prefix %s", prefixes[prefix], name, prefix)
		}
		for _, r := range reservedPrefixes {
			if strings.HasPrefix(prefix, r) || strings.HasPrefix(r, prefix) {
				return fmt.Errorf("simulated service %q: prefix %s overlaps the simulator's own %s", name, prefix, r)
			}
		}
		names[name], prefixes[prefix] = true, name
		rnd.reseed(seedFor(s.opts.Seed, "service/"+name))
		s.services = append(s.services, simService{Service: sv, rand: rnd})
	}
	return nil
}

// service returns the service whose prefix starts path.
func (s *Sim) service(path string) (simService, bool) {
	for _, sv := range s.services {
		p := sv.Prefix()
		if strings.HasPrefix(path, p) || path+"/" == p {
			return sv, true
		}
	}
	return simService{}, false
}

// serveService serves a request for a service: its prefix is stripped.
func (s *Sim) serveService(w http.ResponseWriter, r *http.Request, sv simService) {
	strip := strings.TrimSuffix(sv.Prefix(), "/")
	http.StripPrefix(strip, sv).ServeHTTP(w, r)
}

// startServices asks each service for its environment once the
// simulator's URL is known, writing its files in a private directory.
func (s *Sim) startServices() error {
	if len(s.services) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "respond-sim-services-")
	if err != nil {
		return fmt.Errorf("create the simulator's directory for its services' files: %w", err)
	}
	env := map[string]string{}
	for _, sv := range s.services {
		// Each service finds the certificate its URL is served with, if the
		// simulator generated it (the HTTPS-only ones their own port's).
		base, ca := s.serviceBase(sv.Service)
		caFile := filepath.Join(dir, simapi.CACertFile)
		_ = os.Remove(caFile)
		if ca != nil {
			if err := os.WriteFile(caFile, ca, 0o600); err != nil {
				os.RemoveAll(dir)
				return fmt.Errorf("write the simulator's certificate for its services: %w", err)
			}
		}
		e, err := sv.Env(base, dir)
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("simulated service %s: %w", sv.Name(), err)
		}
		for k, v := range e {
			if _, dup := env[k]; dup {
				os.RemoveAll(dir)
				return fmt.Errorf("simulated service %s sets %s, which another service sets too", sv.Name(), k)
			}
			env[k] = v
		}
	}
	s.mu.Lock()
	s.serviceEnv, s.serviceDir = env, dir
	s.mu.Unlock()
	return nil
}

// stopServices removes the services' files.
func (s *Sim) stopServices() {
	s.mu.Lock()
	dir := s.serviceDir
	s.serviceDir = ""
	s.mu.Unlock()
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}

// serviceEnvNames lists the variables the services set, sorted.
func (s *Sim) serviceEnvNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.serviceEnv))
	for k := range s.serviceEnv {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Service returns the simulated service named name (nil if none).
func (s *Sim) Service(name string) simapi.Service {
	for _, sv := range s.services {
		if sv.Name() == name {
			return sv.Service
		}
	}
	return nil
}

// KeyIssuers are the services that issue API keys.
func (s *Sim) KeyIssuers() []simapi.KeyIssuer {
	var out []simapi.KeyIssuer
	for _, sv := range s.services {
		if ki, ok := sv.Service.(simapi.KeyIssuer); ok {
			out = append(out, ki)
		}
	}
	return out
}

// KeyIssuerFor returns the service that issues keys of a GitHub secret
// type: the GitHub half's tokens (githubsim.TokenIssuer) for GitHub's
// token types, else one of the services.
func (s *Sim) KeyIssuerFor(secretType string) (simapi.KeyIssuer, bool) {
	if tokens := s.github.Tokens(); slices.Contains(tokens.SecretTypes(), secretType) {
		return tokens, true
	}
	if oa := (openAIIssuer{s: s, srv: s.openai}); slices.Contains(oa.SecretTypes(), secretType) {
		return oa, true
	}
	for _, ki := range s.KeyIssuers() {
		if slices.Contains(ki.SecretTypes(), secretType) {
			return ki, true
		}
	}
	return nil, false
}

// closeStreams ends the services' long-lived requests (watches), which
// would otherwise hold up a reset or a shutdown.
func (s *Sim) closeStreams() {
	for _, sv := range s.services {
		if st, ok := sv.Service.(simapi.Streamer); ok {
			st.CloseStreams()
		}
	}
}

// serviceSnapshots is every service's world, by name, for /_sim/state.
func (s *Sim) serviceSnapshots() map[string]any {
	if len(s.services) == 0 {
		return nil
	}
	out := make(map[string]any, len(s.services))
	for _, sv := range s.services {
		out[sv.Name()] = sv.Snapshot()
	}
	return out
}

// writeServiceFault answers a fault for a service in its API's shape.
func writeServiceFault(w http.ResponseWriter, sv simService, status int, retry time.Duration) {
	if ew, ok := sv.Service.(simapi.ErrorWriter); ok {
		ew.WriteError(w, status, retry)
		return
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", fmt.Sprint(int((retry+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": http.StatusText(status)}}, false)
}
