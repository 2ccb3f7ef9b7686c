package secret

import "testing"

func TestLooksLikeSecret(t *testing.T) {
	for _, tc := range []struct {
		in     string
		secret bool
	}{
		{"sk-proj-_W1-9R2lMLr88nQmAQpIEcQh6rUqLbhvOZuNEY7esvWP", true},
		{"sk-svcacct-ZR5h8Ckp7FkZfc3p_NhcMdHSvlZ42DVNH", true},
		{"sk-admin-ADMINCANARY000000000000000000000000aa", true},
		{"OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz", true},
		{"ghp_F80iSLMibkgjB4eI9AI3e3eN3hCVQBTYssHd", true},
		{"gho_F80iSLMibkgjB4eI9AI3e3eN3hCVQBTYssHd", true},
		{"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", true},
		{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"xoxb-123456789012-abcdefghijkl", true},
		{"AIzaSyA1234567890abcdefghijklmnopqrstuv", true},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", true},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig", true},
		{"sk_live_abcdefghijklmnop1234", true},

		{"key_HFUOEgh8jFievlAH", false},
		{"proj_pzDfHDetccqcSoxUF86uKEy1", false},
		{"AKIAIOSFODNN7EXAMPLE", false},
		{"acme/api#42", false},
		{"0cbe1b98fa9add6108ab968f201867ff349e4900", false},
		{"INC-20261129-124412-5984", false},
		{"./scripts/store-key.sh", false},
		{"task-sk-processing-queue", false},
		{"sk-short", false},
		{"svc_acct_Z9y8X7w6", false},
		{"/home/user/projects/respond/playbooks/leaked-key.yaml", false},
		{"/Users/Alice/Documents/Work2024/Projects/Respond", false},
	} {
		kind, ok := LooksLikeSecret(tc.in)
		if ok != tc.secret {
			t.Errorf("LooksLikeSecret(%q) = %q, %v; want %v", tc.in, kind, ok, tc.secret)
		}
	}
}

func FuzzLooksLikeSecret(f *testing.F) {
	f.Add("sk-proj-abcdefghijklmnopqrstuvwxyz")
	f.Add("key_abc")
	f.Fuzz(func(t *testing.T, s string) {
		kind, ok := LooksLikeSecret(s)
		if ok && kind == "" {
			t.Fatalf("a secret of no kind: %q", s)
		}
		// A recognised secret stays recognised inside a pasted line.
		if ok {
			if _, again := LooksLikeSecret("X=" + s + "\n"); !again {
				t.Fatalf("%q recognised alone but not in X=…", s)
			}
		}
	})
}
