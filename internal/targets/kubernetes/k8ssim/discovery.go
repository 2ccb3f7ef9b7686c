package k8ssim

import (
	"net/http"
	"runtime"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
)

// ServerVersion is the Kubernetes version the fake answers /version with.
var ServerVersion = version.Info{
	Major: "1", Minor: "37", GitVersion: "v1.37.2", GitCommit: "0000000000000000000000000000000000000000",
	GitTreeState: "clean", BuildDate: "2026-01-01T00:00:00Z", GoVersion: runtime.Version(), Compiler: "gc",
	Platform: "linux/amd64",
}

// groups are the API groups the fake serves besides the core one, sorted.
var groups = []string{"apps", "authorization.k8s.io", "coordination.k8s.io"}

func apiGroup(name string) metav1.APIGroup {
	gv := metav1.GroupVersionForDiscovery{GroupVersion: name + "/v1", Version: "v1"}
	return metav1.APIGroup{
		TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
		Name:     name, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv,
	}
}

// serveDiscovery answers /api, /api/v1, /apis, /apis/GROUP and
// /apis/GROUP/VERSION (the legacy discovery documents: a client that asks
// for aggregated discovery gets these, and tells them by their content
// type). It reports whether the path was one of them.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request, segs []string) bool {
	switch {
	case len(segs) == 1 && segs[0] == "api":
		writeJSON(w, http.StatusOK, metav1.APIVersions{
			TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}},
		})
	case len(segs) == 2 && segs[0] == "api" && segs[1] == "v1":
		writeJSON(w, http.StatusOK, resourceList("", "v1"))
	case len(segs) == 1 && segs[0] == "apis":
		list := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
		for _, g := range groups {
			list.Groups = append(list.Groups, apiGroup(g))
		}
		writeJSON(w, http.StatusOK, list)
	case len(segs) == 2 && segs[0] == "apis" && knownGroup(segs[1]):
		writeJSON(w, http.StatusOK, apiGroup(segs[1]))
	case len(segs) == 3 && segs[0] == "apis" && knownGroup(segs[1]) && segs[2] == "v1":
		writeJSON(w, http.StatusOK, resourceList(segs[1], "v1"))
	default:
		return false
	}
	return true
}

func knownGroup(g string) bool {
	for _, x := range groups {
		if x == g {
			return true
		}
	}
	return false
}

func resourceList(group, version string) metav1.APIResourceList {
	gv := version
	if group != "" {
		gv = group + "/" + version
	}
	list := metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv}
	for _, res := range resources {
		if res.group != group || res.version != version {
			continue
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: res.name, SingularName: res.singular, Namespaced: res.namespaced, Kind: res.kind,
			Verbs: res.verbs, ShortNames: res.shortNames,
		})
	}
	return list
}
