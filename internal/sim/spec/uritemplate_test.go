package spec

import "testing"

func TestValidateURITemplate(t *testing.T) {
	for _, ok := range []string{
		"https://api.github.com/gists{/gist_id}",
		"https://api.github.com/user/starred{/owner}{/repo}",
		"https://api.github.com/user/repos{?type,page,per_page,sort}",
		"https://api.github.com/search/code?q={query}{&page,per_page,sort,order}",
		"https://api.github.com/repos/o/r/contents/{+path}",
		"https://api.github.com/repos/o/r/notifications{?since,all,participating}",
		"{var:30}{list*}",
		"no expressions at all",
	} {
		if err := validateURITemplate(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"https://api.github.com/gists{/gist_id",
		"https://api.github.com/gists/gist_id}",
		"https://api.github.com/{a{b}}",
		"https://api.github.com/{}",
		"https://api.github.com/{a b}",
		"https://api.github.com/{a:0}",
	} {
		if err := validateURITemplate(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
