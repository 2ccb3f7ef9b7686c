package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/respondhq/respond/internal/secret"
)

// checkKey validates a Secret's key as the API server does.
func checkKey(key string) error {
	if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
		return fmt.Errorf("%w: secret key %q: %s", ErrBadInput, key, errs[0])
	}
	return nil
}

// SetSecretKey sets one key of an existing Secret to v and keeps its other
// keys: a strategic-merge patch that names only data.KEY. It returns the
// Secret's new resourceVersion.
//
// A missing Secret is not created (ErrNotFound): a Secret respond made
// would lack the type, labels and owner the cluster's own tooling gives
// it, and a typo in the inventory would plant the key where nothing reads
// it. CheckAccess reports it before any change. The patch is sent once.
func (c *Client) SetSecretKey(ctx context.Context, ns, name, key string, v secret.Value) (string, error) {
	if err := checkNames(ns, name); err != nil {
		return "", err
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	if v.IsZero() {
		return "", fmt.Errorf("%w: an empty value for key %s of secret %s/%s", ErrBadInput, key, ns, name)
	}
	op := fmt.Sprintf("setting key %s of secret %s/%s", key, ns, name)
	// []byte marshals as base64, as data holds it.
	patch, err := json.Marshal(map[string]any{"data": map[string][]byte{key: []byte(v.Reveal())}})
	if err != nil {
		return "", fmt.Errorf("kubernetes: %s: %w", op, err)
	}
	var out corev1.Secret
	err = c.cs.CoreV1().RESTClient().Patch(types.StrategicMergePatchType).
		Namespace(ns).Resource("secrets").Name(name).
		VersionedParams(&metav1.PatchOptions{FieldManager: "respond"}, metav1.ParameterCodec).
		Body(patch).MaxRetries(0).Do(ctx).Into(&out)
	clear(patch)
	if err != nil {
		e := c.wrap(op, err, v)
		if errors.Is(e, ErrNotFound) {
			var ke *Error
			if errors.As(e, &ke) {
				ke.Hint = "respond sets a key of an existing Secret and does not create one: create it (kubectl create secret generic " + name + " -n " + ns + ") or fix the inventory"
			}
		}
		return "", e
	}
	return out.ResourceVersion, nil
}

// SecretKey is a key of a Secret as read.
type SecretKey struct {
	Value secret.Value
	// ResourceVersion is the Secret's, when it was read.
	ResourceVersion string
}

// GetSecretKey reads one key of a Secret (for recovery: what the target
// holds now). ErrNotFound when the Secret or the key does not exist.
func (c *Client) GetSecretKey(ctx context.Context, ns, name, key string) (SecretKey, error) {
	if err := checkNames(ns, name); err != nil {
		return SecretKey{}, err
	}
	if err := checkKey(key); err != nil {
		return SecretKey{}, err
	}
	op := fmt.Sprintf("reading key %s of secret %s/%s", key, ns, name)
	var s *corev1.Secret
	err := c.read(ctx, func() error {
		var err error
		s, err = c.cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		return err
	})
	if err != nil {
		return SecretKey{}, c.wrap(op, err)
	}
	b, ok := s.Data[key]
	defer func() {
		for _, v := range s.Data {
			clear(v)
		}
	}()
	if !ok {
		return SecretKey{}, &Error{Context: c.context, Op: op, Message: fmt.Sprintf("secret %s/%s has no key %s", ns, name, key), kind: ErrNotFound}
	}
	return SecretKey{Value: secret.New(string(b)), ResourceVersion: s.ResourceVersion}, nil
}

// SecretState is a Secret as a write sees it: its keys, whether it has the
// key asked for and what that holds, and its resourceVersion.
type SecretState struct {
	Keys            []string
	Has             bool
	Value           secret.Value // the key's, when Has
	ResourceVersion string
}

// ReadSecret reads a Secret for a write of key: which keys it has and
// what key holds. ErrNotFound when the Secret does not exist (a missing
// key is Has false).
func (c *Client) ReadSecret(ctx context.Context, ns, name, key string) (SecretState, error) {
	if err := checkNames(ns, name); err != nil {
		return SecretState{}, err
	}
	if err := checkKey(key); err != nil {
		return SecretState{}, err
	}
	var s *corev1.Secret
	err := c.read(ctx, func() error {
		var err error
		s, err = c.cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		return err
	})
	if err != nil {
		return SecretState{}, c.wrap(fmt.Sprintf("reading secret %s/%s", ns, name), err)
	}
	st := SecretState{ResourceVersion: s.ResourceVersion}
	for k, v := range s.Data {
		st.Keys = append(st.Keys, k)
		if k == key {
			st.Has, st.Value = true, secret.New(string(v))
		}
		clear(v)
	}
	slices.Sort(st.Keys)
	return st, nil
}
