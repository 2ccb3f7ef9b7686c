package k8ssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// maxBody is the API server's limit on a request body (3 MiB).
const maxBody = 3 << 20

// request is an API request for a resource.
type request struct {
	res      *resource
	ns, name string
	verb     string
	user     *user
}

// ServeHTTP serves a request whose path has the /k8s prefix stripped.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch r.URL.Path {
	case "/version", "/version/":
		writeJSON(w, http.StatusOK, ServerVersion)
		return
	case "/healthz", "/livez", "/readyz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
		return
	}
	u, ok := s.authenticate(r)
	if !ok {
		writeStatus(w, apierrors.NewUnauthorized("Unauthorized"))
		return
	}
	if r.Method == http.MethodGet && s.serveDiscovery(w, r, segs) {
		return
	}
	req, err := parseRequest(r, segs)
	if err != nil {
		writeStatus(w, err)
		return
	}
	req.user = u
	if req.res != resSSAR && !u.allowed(req.verb, req.res.group, req.res.name) {
		writeStatus(w, forbidden(u, req.verb, req.res.gr(), req.ns, req.name))
		return
	}
	switch req.verb {
	case "get":
		s.serveGet(w, r, req)
	case "list":
		s.serveList(w, r, req)
	case "watch":
		s.serveWatch(w, r, req)
	case "create":
		s.serveCreate(w, r, req)
	case "update":
		s.serveUpdate(w, r, req)
	case "patch":
		s.servePatch(w, r, req)
	case "delete":
		s.serveDelete(w, r, req)
	}
}

// notFoundPath is the API server's answer to a path it does not serve.
func notFoundPath() error {
	return apierrors.NewGenericServerResponse(http.StatusNotFound, "", schema.GroupResource{}, "", "", 0, false)
}

// parseRequest finds the resource, namespace, name and verb of a request
// under /api/v1/ or /apis/GROUP/VERSION/.
func parseRequest(r *http.Request, segs []string) (request, error) {
	var group, version string
	var rest []string
	switch {
	case len(segs) >= 3 && segs[0] == "api":
		version, rest = segs[1], segs[2:]
	case len(segs) >= 4 && segs[0] == "apis":
		group, version, rest = segs[1], segs[2], segs[3:]
	default:
		return request{}, notFoundPath()
	}
	var req request
	var resName string
	switch {
	case len(rest) >= 3 && rest[0] == "namespaces":
		req.ns, resName = rest[1], rest[2]
		if len(rest) >= 4 {
			req.name = rest[3]
		}
		if len(rest) > 4 {
			return request{}, notFoundPath() // no subresources
		}
	case len(rest) <= 2:
		resName = rest[0]
		if len(rest) == 2 {
			req.name = rest[1]
		}
	default:
		return request{}, notFoundPath()
	}
	req.res = findResource(group, version, resName)
	if req.res == nil {
		return request{}, notFoundPath()
	}
	if req.ns != "" && !req.res.namespaced {
		return request{}, notFoundPath()
	}
	if req.name != "" && req.res.namespaced && req.ns == "" {
		return request{}, notFoundPath()
	}
	switch r.Method {
	case http.MethodGet:
		req.verb = "get"
		if req.name == "" {
			req.verb = "list"
			if w := r.URL.Query().Get("watch"); w == "true" || w == "1" {
				req.verb = "watch"
			}
		}
	case http.MethodPost:
		if req.name == "" {
			req.verb = "create"
		}
	case http.MethodPut:
		req.verb = "update"
	case http.MethodPatch:
		req.verb = "patch"
	case http.MethodDelete:
		if req.name != "" {
			req.verb = "delete"
		}
	}
	if req.verb == "" || !contains(req.res.verbs, req.verb) || (req.name == "" && (req.verb == "update" || req.verb == "patch")) {
		verb := req.verb
		if verb == "" {
			verb = strings.ToLower(r.Method)
		}
		return request{}, apierrors.NewMethodNotSupported(req.res.gr(), verb)
	}
	return req, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// selectors parses the fieldSelector and labelSelector parameters.
func selectors(r *http.Request, res *resource) (fields.Selector, labels.Selector, error) {
	q := r.URL.Query()
	var fs fields.Selector
	var ls labels.Selector
	if v := q.Get("fieldSelector"); v != "" {
		sel, err := fields.ParseSelector(v)
		if err != nil {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
		known := fieldLabels(res)
		for _, req := range sel.Requirements() {
			if !known[req.Field] {
				return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
			}
		}
		fs = sel
	}
	if v := q.Get("labelSelector"); v != "" {
		sel, err := labels.Parse(v)
		if err != nil {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
		ls = sel
	}
	return fs, ls, nil
}

func (s *Server) serveGet(w http.ResponseWriter, r *http.Request, req request) {
	s.mu.Lock()
	s.advanceLocked()
	o, ok := s.getLocked(req.res, req.ns, req.name)
	if ok {
		o = o.DeepCopyObject().(object)
	}
	s.mu.Unlock()
	if !ok {
		writeStatus(w, apierrors.NewNotFound(req.res.gr(), req.name))
		return
	}
	if wantsTable(r) {
		writeJSON(w, http.StatusOK, s.table(r, req.res, []object{o}, ""))
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// list is a list response: items carry no kind or apiVersion of their
// own, as the API server sends them.
type list struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ListMeta `json:"metadata"`
	Items           []object        `json:"items"`
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request, req request) {
	fs, ls, err := selectors(r, req.res)
	if err != nil {
		writeStatus(w, err)
		return
	}
	s.mu.Lock()
	s.advanceLocked()
	items := s.listLocked(req.res, req.ns, fs, ls)
	rv := s.currentRV()
	s.mu.Unlock()
	if wantsTable(r) {
		writeJSON(w, http.StatusOK, s.table(r, req.res, items, rv))
		return
	}
	for _, o := range items {
		o.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	}
	if items == nil {
		items = []object{}
	}
	writeJSON(w, http.StatusOK, list{
		TypeMeta: metav1.TypeMeta{Kind: req.res.kind + "List", APIVersion: req.res.groupVersion()},
		Metadata: metav1.ListMeta{ResourceVersion: rv},
		Items:    items,
	})
}

// readBody reads a create or update body (JSON, or YAML as kubectl may
// send it) into a new object of the request's kind.
func readBody(r *http.Request, into any) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", maxBody))
		}
		return apierrors.NewBadRequest("read the request body: " + err.Error())
	}
	switch ct {
	case "", "application/json", "*/*":
	case "application/yaml":
		if b, err = yaml.YAMLToJSON(b); err != nil {
			return apierrors.NewBadRequest(err.Error())
		}
	case protobufType:
		// client-go sends built-in kinds as protobuf unless told otherwise.
		obj, ok := into.(runtime.Object)
		if !ok {
			return unsupportedMediaType("application/json, application/yaml")
		}
		if _, _, err := codecs.UniversalDeserializer().Decode(b, nil, obj); err != nil {
			return apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized: %v", err))
		}
		return nil
	default:
		return unsupportedMediaType("application/json, application/yaml, application/vnd.kubernetes.protobuf")
	}
	return decodeInto(r, b, into)
}

// protobufType is Kubernetes' protobuf media type.
const protobufType = "application/vnd.kubernetes.protobuf"

// codecs decode the kinds the fake serves, in JSON, YAML and protobuf.
var codecs = func() serializer.CodecFactory {
	sch := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, coordinationv1.AddToScheme, authorizationv1.AddToScheme} {
		if err := add(sch); err != nil {
			panic(err) // the schemes are static
		}
	}
	metav1.AddToGroupVersion(sch, schema.GroupVersion{Version: "v1"})
	return serializer.NewCodecFactory(sch)
}()

// decodeInto decodes JSON into an object; with fieldValidation=Strict an
// unknown or duplicate field is refused, as the API server does.
func decodeInto(r *http.Request, b []byte, into any) error {
	strict, err := sigsjson.UnmarshalStrict(b, into)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized: %v", err))
	}
	if len(strict) > 0 && r.URL.Query().Get("fieldValidation") == "Strict" {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return apierrors.NewBadRequest("strict decoding error: " + strings.Join(msgs, ", "))
	}
	return nil
}

// unsupportedMediaType is the API server's 415.
func unsupportedMediaType(accepted string) error {
	return apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "", schema.GroupResource{}, "",
		fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s", accepted), 0, false)
}

func dryRun(r *http.Request) bool {
	for _, v := range r.URL.Query()["dryRun"] {
		if v == "All" {
			return true
		}
	}
	return false
}

func (s *Server) serveCreate(w http.ResponseWriter, r *http.Request, req request) {
	if req.res == resSSAR {
		var review authorizationv1.SelfSubjectAccessReview
		if err := readBody(r, &review); err != nil {
			writeStatus(w, err)
			return
		}
		review.Status = req.user.review(review.Spec)
		review.TypeMeta = metav1.TypeMeta{Kind: "SelfSubjectAccessReview", APIVersion: "authorization.k8s.io/v1"}
		writeJSON(w, http.StatusCreated, review)
		return
	}
	o := req.res.newObject()
	if err := readBody(r, o); err != nil {
		writeStatus(w, err)
		return
	}
	out, err := s.create(req.res, req.ns, o, dryRun(r))
	if err != nil {
		writeStatus(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) serveUpdate(w http.ResponseWriter, r *http.Request, req request) {
	o := req.res.newObject()
	if err := readBody(r, o); err != nil {
		writeStatus(w, err)
		return
	}
	out, err := s.update(req.res, req.ns, req.name, dryRun(r), func(object) (object, error) { return o, nil })
	if err != nil {
		writeStatus(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) servePatch(w http.ResponseWriter, r *http.Request, req request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		writeStatus(w, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", maxBody)))
		return
	}
	patch, err := patcherFor(ct, body, req.res)
	if err != nil {
		writeStatus(w, err)
		return
	}
	out, err := s.update(req.res, req.ns, req.name, dryRun(r), func(old object) (object, error) {
		orig, err := json.Marshal(old)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		patched, err := patch(orig)
		if err != nil {
			return nil, err
		}
		o := req.res.newObject()
		if err := decodeInto(r, patched, o); err != nil {
			return nil, err
		}
		if o.GetResourceVersion() == "" {
			o.SetResourceVersion(old.GetResourceVersion()) // a patch is unconditional unless it names one
		}
		return o, nil
	})
	if err != nil {
		writeStatus(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveDelete(w http.ResponseWriter, r *http.Request, req request) {
	var opts metav1.DeleteOptions
	if r.ContentLength != 0 {
		if err := readBody(r, &opts); err != nil {
			writeStatus(w, err)
			return
		}
	}
	uid, err := s.delete(req.res, req.ns, req.name, opts.Preconditions, dryRun(r))
	if err != nil {
		writeStatus(w, err)
		return
	}
	writeJSON(w, http.StatusOK, metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess,
		Details: &metav1.StatusDetails{Name: req.name, Group: req.res.group, Kind: req.res.name, UID: uid},
	})
}

// writeJSON writes v as the API server does.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(statusOf(apierrors.NewInternalError(err)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// statusOf is the metav1.Status of an error.
func statusOf(err error) metav1.Status {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		st = apierrors.NewInternalError(err)
	}
	out := st.Status()
	out.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	return out
}

// writeStatus writes an error as a metav1.Status with its code.
func writeStatus(w http.ResponseWriter, err error) {
	st := statusOf(err)
	writeJSON(w, int(st.Code), st)
}
