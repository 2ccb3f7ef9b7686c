package sim

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// F10: OpenAI's 429 carries retry-after and the x-ratelimit-* headers
// clients pace on; a served inference call carries them too.
func TestOpenAIRateLimitHeaders(t *testing.T) {
	s := start(t, Options{})
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	c := openai.NewClient(option.WithBaseURL(s.URL()+"/v1"), option.WithAPIKey(s.LeakedKeyValue()), option.WithMaxRetries(0))
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{Model: "gpt-4.1",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("ping")}}

	var ok *http.Response
	if _, err := c.Chat.Completions.New(ctx, params, option.WithResponseInto(&ok)); err != nil {
		t.Fatal(err)
	}
	if ok.Header.Get("X-Ratelimit-Limit-Requests") != "500" || ok.Header.Get("X-Ratelimit-Remaining-Requests") != "499" ||
		ok.Header.Get("X-Ratelimit-Limit-Tokens") != "30000" || ok.Header.Get("X-Ratelimit-Reset-Tokens") == "" {
		t.Errorf("rate-limit headers of a served call: %v", ok.Header)
	}

	if _, err := s.AddFault(Fault{Path: "/v1/chat/completions", RateLimit: RateLimitSecondary, RetryAfter: Duration(3 * time.Second), Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Chat.Completions.New(ctx, params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Code != "rate_limit_exceeded" {
		t.Fatalf("rate-limited call: %v", err)
	}
	h := apiErr.Response.Header
	for k, want := range map[string]string{
		"Retry-After": "3", "X-Ratelimit-Limit-Requests": "500", "X-Ratelimit-Remaining-Requests": "0",
		"X-Ratelimit-Reset-Requests": "3s", "X-Ratelimit-Limit-Tokens": "30000", "X-Ratelimit-Remaining-Tokens": "30000",
		"X-Ratelimit-Reset-Tokens": "0s",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	// The fault was spent: the key works again.
	if _, err := c.Chat.Completions.New(ctx, params); err != nil {
		t.Errorf("after the fault: %v", err)
	}
}
