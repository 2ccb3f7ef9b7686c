package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/providers/google/googlesim"
)

// Commands of the google-api-key script: they read the Google fake's own
// world (its keys, their restrictions and states) and ask the Generative
// Language check what Google would answer, never respond's output.

// googleKey is a key of the Google fake's world (its Snapshot).
type googleKey struct {
	Name                string                  `json:"name"`
	UID                 string                  `json:"uid"`
	DisplayName         string                  `json:"displayName"`
	Annotations         map[string]string       `json:"annotations"`
	Restrictions        *googlesim.Restrictions `json:"restrictions"`
	ServiceAccountEmail string                  `json:"serviceAccountEmail"`
	Project             string                  `json:"project"`
	State               string                  `json:"state"`
	KeyString           string                  `json:"keyString"`
}

// googleKeys reads the Google fake's keys.
func googleKeys(ts *testscript.TestScript, r *simRun) []googleKey {
	fake, ok := r.s.Service("google").(*googlesim.Server)
	if !ok {
		ts.Fatalf("the simulator serves no Google fake")
	}
	b, err := json.Marshal(fake.Snapshot())
	ts.Check(err)
	var w struct {
		Keys []googleKey `json:"keys"`
	}
	ts.Check(json.Unmarshal(b, &w))
	return w.Keys
}

// googleReplacement is the one live key respond made (annotated
// respond/replaces); it fails the script unless there is exactly one.
func googleReplacement(ts *testscript.TestScript, r *simRun) (id, value string) {
	var live []googleKey
	for _, k := range googleKeys(ts, r) {
		if k.Annotations["respond/replaces"] != "" && k.State == "live" {
			live = append(live, k)
		}
	}
	if len(live) != 1 {
		ts.Fatalf("want exactly one live replacement (a key annotated respond/replaces), found %d", len(live))
	}
	return live[0].Name, live[0].KeyString
}

// googleKeyOf finds the key whose value is v.
func googleKeyOf(ts *testscript.TestScript, r *simRun, v string) googleKey {
	for _, k := range googleKeys(ts, r) {
		if k.KeyString == v {
			return k
		}
	}
	ts.Fatalf("no key of the Google fake has that value")
	return googleKey{}
}

// worldGoogle runs the world commands of the Google fake:
//
//	world google-key leaked|new|FILE STATE      the key is live, deleted or purged
//	world google-check leaked|new|FILE STATUS   GET /v1beta/models with the key (x-goog-api-key) answers STATUS
//	world google-same INCIDENT                  the replacement is the leaked key's twin (see googleSame)
func worldGoogle(ts *testscript.TestScript, r *simRun, neg bool, args []string) {
	value := func(arg string) string {
		switch arg {
		case "leaked":
			return r.leaked
		case "new":
			_, v := googleReplacement(ts, r)
			return v
		}
		b, err := os.ReadFile(ts.MkAbs(arg))
		ts.Check(err)
		return strings.TrimSpace(string(b))
	}
	if len(args) != 3 && args[0] != "google-same" || args[0] == "google-same" && len(args) != 2 {
		ts.Fatalf("usage: world google-key|google-check leaked|new|FILE WANT | world google-same INCIDENT")
	}
	switch args[0] {
	case "google-key":
		k := googleKeyOf(ts, r, value(args[1]))
		if (k.State == args[2]) == neg {
			ts.Fatalf("the Google key %s (%s) is %s; want %s%s", args[1], k.Name, k.State, map[bool]string{true: "not ", false: ""}[neg], args[2])
		}
	case "google-check":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.s.URL()+"/google/v1beta/models", nil)
		req.Header.Set("X-Goog-Api-Key", value(args[1]))
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		var body struct {
			Error struct {
				Details []struct {
					Reason string `json:"reason"`
				} `json:"details"`
			} `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		reason := ""
		for _, d := range body.Error.Details {
			if d.Reason != "" {
				reason = d.Reason
			}
		}
		if (fmt.Sprint(resp.StatusCode) == args[2]) == neg {
			ts.Fatalf("the Generative Language check with the key %s answered %d %s; want %s%s", args[1], resp.StatusCode, reason, map[bool]string{true: "not ", false: ""}[neg], args[2])
		}
		fmt.Fprintf(ts.Stdout(), "%s: %d %s\n", args[1], resp.StatusCode, reason)
	case "google-same":
		if neg {
			ts.Fatalf("world google-same takes no !")
		}
		googleSame(ts, r, args[1])
	}
}

// googleSame: the replacement lives in the leaked key's project, is named
// by the leaked key's display name and the incident's ID, carries the
// leaked key's annotations (and respond's, naming the incident and the
// leaked key's uid) and service account, and has exactly the leaked key's
// restrictions, compared field by field; the leaked key had restrictions
// of each kind compared that are set, so the comparison is not empty.
func googleSame(ts *testscript.TestScript, r *simRun, incident string) {
	old := googleKeyOf(ts, r, r.leaked)
	_, v := googleReplacement(ts, r)
	repl := googleKeyOf(ts, r, v)
	var problems []string
	if repl.Project != old.Project {
		problems = append(problems, fmt.Sprintf("project %s, the leaked key's is %s", repl.Project, old.Project))
	}
	if want := old.DisplayName + " " + incident; repl.DisplayName != want {
		problems = append(problems, fmt.Sprintf("display name %q, want %q", repl.DisplayName, want))
	}
	for k, v := range old.Annotations {
		if repl.Annotations[k] != v {
			problems = append(problems, fmt.Sprintf("annotation %s is %q, the leaked key's %q", k, repl.Annotations[k], v))
		}
	}
	if repl.Annotations["respond/incident"] != incident || repl.Annotations["respond/replaces"] != old.UID {
		problems = append(problems, fmt.Sprintf("respond's annotations %v do not name %s and the leaked key's uid", repl.Annotations, incident))
	}
	if len(repl.Annotations) != len(old.Annotations)+2 {
		problems = append(problems, fmt.Sprintf("%d annotations, want the leaked key's %d and respond's 2", len(repl.Annotations), len(old.Annotations)))
	}
	if repl.ServiceAccountEmail != old.ServiceAccountEmail {
		problems = append(problems, "another service account")
	}
	o, n := old.Restrictions, repl.Restrictions
	switch {
	case o == nil:
		problems = append(problems, "the leaked key has no restrictions to compare")
	case n == nil:
		problems = append(problems, "the replacement has no restrictions")
	default:
		set := 0
		for _, f := range []struct {
			name string
			a, b any
			set  bool
		}{
			{"apiTargets", o.APITargets, n.APITargets, len(o.APITargets) > 0},
			{"browserKeyRestrictions", o.BrowserKeyRestrictions, n.BrowserKeyRestrictions, o.BrowserKeyRestrictions != nil},
			{"serverKeyRestrictions", o.ServerKeyRestrictions, n.ServerKeyRestrictions, o.ServerKeyRestrictions != nil},
			{"androidKeyRestrictions", o.AndroidKeyRestrictions, n.AndroidKeyRestrictions, o.AndroidKeyRestrictions != nil},
			{"iosKeyRestrictions", o.IosKeyRestrictions, n.IosKeyRestrictions, o.IosKeyRestrictions != nil},
		} {
			if !reflect.DeepEqual(f.a, f.b) {
				ja, _ := json.Marshal(f.a)
				jb, _ := json.Marshal(f.b)
				problems = append(problems, fmt.Sprintf("%s: the replacement's %s, the leaked key's %s", f.name, jb, ja))
			}
			if f.set {
				set++
				fmt.Fprintf(ts.Stdout(), "same %s\n", f.name)
			}
		}
		if set < 2 {
			problems = append(problems, "the leaked key has fewer than two kinds of restriction: the comparison proves little")
		}
	}
	if !regexp.MustCompile(`^INC-`).MatchString(incident) {
		problems = append(problems, "no incident ID given")
	}
	if len(problems) > 0 {
		ts.Fatalf("the replacement %s is not the leaked key's twin:\n  %s", repl.Name, strings.Join(problems, "\n  "))
	}
}
