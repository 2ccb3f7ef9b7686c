package aws

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/awsapi/awstest"
	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
)

// loseCreate sends every request to moto, but loses the answer to the
// first CreateAccessKey after moto acted on it: as a connection error
// (the network), or as a 500 (a server error after the fact).
type loseCreate struct {
	base   http.RoundTripper
	status int // 0: a connection error
	lost   atomic.Int64
}

func (l *loseCreate) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := l.base.RoundTrip(r)
	if err != nil || !strings.Contains(string(body), "Action=CreateAccessKey") || !l.lost.CompareAndSwap(0, 1) {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if l.status == 0 {
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return &http.Response{StatusCode: l.status, Status: http.StatusText(l.status), Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(strings.NewReader(`<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>` +
			`<Message>internal failure</Message></Error><RequestId>r</RequestId></ErrorResponse>`)), Request: r}, nil
}

// TestReplaceLostCreateAnswer: when the answer to CreateAccessKey is lost
// after IAM made the key, the key (whose secret nobody holds) is deleted
// before the attempt fails, so the user keeps only the old key and the
// next attempt makes exactly one replacement. Before, it stayed, holding
// the user's second place: the next attempt deleted the old key to make
// room and the orphan was left for good (the AWS fault sweep found it).
func TestReplaceLostCreateAnswer(t *testing.T) {
	srv := awstest.Start(t)
	srv.SetEnv(t, srv.Admin)
	for _, c := range []struct {
		name   string
		status int
	}{{"connection lost", 0}, {"server error", 500}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			user := "deploy-bot-" + strings.ReplaceAll(c.name, " ", "-")
			srv.CreateUser(t, user)
			old := srv.CreateAccessKey(t, user)
			srv.SetKeyStatus(t, old, "Inactive") // contained
			tr := &loseCreate{base: http.DefaultTransport, status: c.status}
			client, err := awsapi.New(ctx, awsapi.Options{Transport: tr})
			if err != nil {
				t.Fatal(err)
			}
			env := plugin.New(os.Getenv, nil, nil)
			env.Provide(awsapi.SharedKey, client)
			a := adapter{env: env}
			req := provider.ReplaceRequest{Scope: awstest.Account, Name: "respond-sweep-INC-1", Incident: "INC-1",
				Old: provider.KeyInfo{Provider: Name, ID: old.ID, Scope: awstest.Account, Owner: evidence.Owner{Type: "iam_user", ID: user}}}
			var logged []string
			logf := func(f string, args ...any) { logged = append(logged, f) }

			if _, _, err := a.Replace(ctx, req, logf); err == nil {
				t.Fatal("Replace succeeded though the answer to CreateAccessKey was lost")
			}
			if tr.lost.Load() != 1 {
				t.Fatal("the CreateAccessKey request did not reach moto")
			}
			keys := srv.UserKeys(t, user)
			if len(keys) != 1 || keys[0].ID != old.ID {
				t.Fatalf("after the lost answer IAM user %s has %v, want only the old key %s", user, keys, old.ID)
			}
			if len(logged) == 0 {
				t.Error("the deletion of the orphan was not logged")
			}

			_, ev, err := a.Replace(ctx, req, logf)
			if err != nil {
				t.Fatal(err)
			}
			keys = srv.UserKeys(t, user)
			if len(keys) != 2 || !(keys[0].ID == old.ID || keys[1].ID == old.ID) || !(keys[0].ID == ev.KeyID || keys[1].ID == ev.KeyID) {
				t.Fatalf("after the second attempt IAM user %s has %v, want the old key %s and the replacement %s", user, keys, old.ID, ev.KeyID)
			}
		})
	}
}
