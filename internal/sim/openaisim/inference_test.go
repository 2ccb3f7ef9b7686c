package openaisim

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// inferenceClient is an openai-go client of srv calling with key. The
// OpenAI description the project keeps (the admin subset) does not cover
// the inference endpoints, so this client's traffic is not checked against
// it; the SDK decoding every answer into its types is the check.
func inferenceClient(t *testing.T, srv *Server, key string) openai.Client {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_ADMIN_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	return openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

// F5: a liveness check through a request other than /v1/models: a live key
// gets an answer (and its use is counted), a dead one 401 invalid_api_key,
// through the official SDK.
func TestInferenceEndpointsWithSDK(t *testing.T) {
	w := newWorld(t, 11)
	ctx := context.Background()
	live := inferenceClient(t, w.srv, w.bob.Value.Reveal())

	chat, err := live.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-4.1",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("are you there")},
	})
	mustNil(t, err)
	if len(chat.Choices) != 1 || chat.Choices[0].Message.Content != inferenceAnswer || chat.Usage.PromptTokens != 3 ||
		chat.Usage.TotalTokens != chat.Usage.PromptTokens+chat.Usage.CompletionTokens || chat.Model != "gpt-4.1" {
		t.Errorf("chat completion: %+v", chat)
	}
	resp, err := live.Responses.New(ctx, responses.ResponseNewParams{
		Model: "gpt-4.1-mini",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("ping")},
	})
	mustNil(t, err)
	if resp.OutputText() != inferenceAnswer || resp.Status != "completed" || resp.Usage.InputTokens != 1 {
		t.Errorf("response: %+v", resp)
	}
	emb, err := live.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: openai.EmbeddingModelTextEmbedding3Small,
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b", "a"}},
	})
	mustNil(t, err)
	if len(emb.Data) != 3 || len(emb.Data[0].Embedding) != embeddingDims || !slices.Equal(emb.Data[0].Embedding, emb.Data[2].Embedding) ||
		slices.Equal(emb.Data[0].Embedding, emb.Data[1].Embedding) {
		t.Errorf("embeddings: %d vectors", len(emb.Data))
	}
	small, err := live.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: openai.EmbeddingModelTextEmbedding3Small, Dimensions: openai.Int(8),
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
		Input:          openai.EmbeddingNewParamsInputUnion{OfString: openai.String("a")},
	})
	mustNil(t, err)
	if len(small.Data) != 1 || len(small.Data[0].Embedding) != 8 || small.Data[0].Embedding[0] != float64(embed("a", 8)[0]) {
		t.Errorf("base64 embedding: %+v", small.Data)
	}

	// The world counted the two completions calls and the key's use.
	var requests int64
	for _, u := range w.srv.usage {
		if u.keyID == w.bob.ID && u.at.Equal(now) {
			requests += u.requests
		}
	}
	lastUsed := w.srv.keys[w.bob.ID].lastUsed
	if requests != 2 || lastUsed == nil || !lastUsed.Equal(now) {
		t.Errorf("usage of the live key: %d requests, last used %v", requests, lastUsed)
	}

	// Refusals: an unknown model, streaming, a dead key, an admin key.
	var apiErr *openai.Error
	_, err = live.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-9",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Errorf("unknown model: %v", err)
	}
	stream := live.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt-4.1",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	if stream.Next() || !errors.As(stream.Err(), &apiErr) || apiErr.StatusCode != 400 {
		t.Errorf("streaming: %v", stream.Err())
	}
	mustNil(t, w.srv.RevokeKey(w.bob.ID))
	calls := map[string]func() error{
		"chat": func() error {
			_, err := live.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4.1",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
			return err
		},
		"responses": func() error {
			_, err := live.Responses.New(ctx, responses.ResponseNewParams{Model: "gpt-4o",
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("x")}})
			return err
		},
		"embeddings": func() error {
			_, err := live.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: openai.EmbeddingModelTextEmbedding3Small,
				Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" {
			t.Errorf("%s with a revoked key: %v", name, err)
		} else if strings.Contains(err.Error(), w.bob.Value.Reveal()) {
			t.Errorf("%s: the error shows the key", name)
		}
	}
	admin := inferenceClient(t, w.srv, w.admin.Value.Reveal())
	_, err = admin.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4.1",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "" || !strings.Contains(apiErr.Message, "model.request") {
		t.Errorf("an admin key: %v", err)
	}
}
