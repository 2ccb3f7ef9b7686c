package yamlsrc

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/respondhq/respond/internal/diag"
)

var testKind = Kind{
	Name:       "widget",
	Article:    "a",
	Plural:     "widgets",
	SyntaxHint: "fix the syntax",
	EmptyHint:  "write a widget",
}

// parse parses src as f.yaml and fails the test on any diagnostic.
func parse(t *testing.T, src string, kind Kind) (*Doc, ast.Node) {
	t.Helper()
	d := New("f.yaml", []byte(src), kind)
	body := d.Parse()
	if body == nil || len(d.Diags) > 0 {
		t.Fatalf("Parse(%q) = %v, %v", src, body, d.Diags)
	}
	return d, body
}

// field returns the value of key k of the top mapping.
func field(t *testing.T, d *Doc, body ast.Node, k string) ast.Node {
	t.Helper()
	kvs, ok := d.Entries(body, "the widget", "")
	if !ok {
		t.Fatalf("top node is not a mapping: %v", d.Diags)
	}
	for _, kv := range kvs {
		if KeyText(kv) == k {
			return kv.Value
		}
	}
	t.Fatalf("no key %q", k)
	return nil
}

// only returns the one diagnostic of d as "line:col-end: summary | hint".
func only(t *testing.T, d *Doc) string {
	t.Helper()
	if len(d.Diags) != 1 {
		t.Fatalf("got %d diagnostics, want 1: %v", len(d.Diags), d.Diags)
	}
	x := d.Diags[0]
	if x.Pos.File != "f.yaml" {
		t.Errorf("file = %q", x.Pos.File)
	}
	return fmt.Sprintf("%d:%d-%d: %s | %s", x.Pos.Line, x.Pos.Col, x.EndCol, x.Summary, x.Detail)
}

func TestEditDistance(t *testing.T) {
	long := strings.Repeat("a", 65)
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"when", "when", 0},
		{"wen", "when", 1},
		{"kitten", "sitting", 3},
		{"stdn", "stdin", 1},
		{"ab", "ba", 2},
		{"é", "e", 2}, // by bytes: é is two
		{long, long, 0},
		{long, long + "b", 66},
		{long, "a", 65},
	}
	for _, tt := range tests {
		if got := EditDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := EditDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	fields := []string{"id", "name", "uses", "when"}
	tests := []struct {
		s     string
		known []string
		want  string
	}{
		{"wen", fields, `did you mean "when"? Known fields: id, name, uses, when.`},
		{"nmae", fields, `did you mean "name"? Known fields: id, name, uses, when.`},
		{"zzzzzzz", fields, "Known fields: id, name, uses, when."},
		{"x", fields, "Known fields: id, name, uses, when."}, // as far as the word is long
		{"ix", fields, `did you mean "id"? Known fields: id, name, uses, when.`},
		{"anything", nil, "Known fields: none."},
		{"confirmation", []string{"confirm"}, "Known fields: confirm."}, // 5 edits: too far
		{"confrim", []string{"confirm", "retry"}, `did you mean "confirm"? Known fields: confirm, retry.`},
		{"uses", fields, `did you mean "uses"? Known fields: id, name, uses, when.`},
	}
	for _, tt := range tests {
		if got := Suggest(tt.s, tt.known, "Known fields"); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"empty", "", "1:1-0: the widget is empty | write a widget"},
		{"comment only", "# nothing\n", "1:1-0: the widget is empty | write a widget"},
		{"syntax", "a: [b\nc: d\n", "invalid YAML"},
		{"two documents", "a: b\n---\nc: d\n", "3:1-0: a widget file holds one YAML document, this one has 2 | put one widget in each file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New("f.yaml", []byte(tt.src), testKind)
			body := d.Parse()
			got := only(t, d)
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
			if d.Diags[0].Severity != diag.Error {
				t.Errorf("severity = %v", d.Diags[0].Severity)
			}
			if tt.name == "two documents" {
				if body == nil || d.Pos(body).Line != 1 {
					t.Errorf("the first document must be returned, got %v", body)
				}
			} else if body != nil {
				t.Errorf("body = %v, want nil", body)
			}
		})
	}
	d := New("f.yaml", []byte("a: [b\n"), testKind)
	d.Parse()
	if got := only(t, d); !strings.HasSuffix(got, "| fix the syntax") || !strings.Contains(got, ": invalid YAML: ") {
		t.Errorf("syntax error = %q", got)
	}
}

func TestPosAndSpan(t *testing.T) {
	src := "plain: value\nquoted: 'it''s'\ndouble: \"é x\"\nnum: 42\nlist: [a, b]\nnested:\n  inner: true\nblock: |\n  text\nempty: {}\nnull:\n"
	d, body := parse(t, src, testKind)
	tests := []struct {
		key       string
		line, col int
		end       int
	}{
		{"plain", 1, 8, 13},
		{"quoted", 2, 9, 16}, // 'it''s' as written
		{"double", 3, 9, 14}, // runes, not bytes
		{"num", 4, 6, 8},
		{"list", 5, 7, 0}, // not a scalar
		{"nested", 7, 3, 0},
		{"block", 8, 8, 0},
		{"empty", 10, 8, 0},
	}
	for _, tt := range tests {
		n := field(t, d, body, tt.key)
		pos, end := d.Span(n)
		if pos != (diag.Pos{File: "f.yaml", Line: tt.line, Col: tt.col}) || end != tt.end {
			t.Errorf("%s: Span = %v, %d; want %d:%d, %d", tt.key, pos, end, tt.line, tt.col, tt.end)
		}
		if p := d.Pos(n); p != pos {
			t.Errorf("%s: Pos = %v, Span's pos = %v", tt.key, p, pos)
		}
	}
	if p := d.Pos(body); p.Line != 1 || p.Col != 1 {
		t.Errorf("Pos(mapping) = %v, want its first key at 1:1", p)
	}
	if p := d.Pos(nil); p != (diag.Pos{File: "f.yaml", Line: 1, Col: 1}) {
		t.Errorf("Pos(nil) = %v", p)
	}
	kvs, _ := d.Entries(body, "the widget", "")
	if pos, end := d.Span(kvs[1].Key); pos.Line != 2 || pos.Col != 1 || end != 7 {
		t.Errorf("Span(key quoted) = %v, %d", pos, end)
	}
}

func TestUnwrapAndAliases(t *testing.T) {
	d, body := parse(t, "a: &x !!str 1\nb: *x\n", testKind)
	v := d.Unwrap(field(t, d, body, "a"))
	switch v.(type) {
	case *ast.AnchorNode, *ast.TagNode, nil:
		t.Errorf("Unwrap(anchor+tag) = %#v", v)
	}
	if s, ok := d.ScalarText(v, "a"); !ok || s != "1" {
		t.Errorf("ScalarText(Unwrap(anchor+tag)) = %q, %v", s, ok)
	}
	if len(d.Diags) != 0 {
		t.Fatalf("diagnostics = %v", d.Diags)
	}
	if v := d.Unwrap(field(t, d, body, "b")); v != nil {
		t.Errorf("Unwrap(alias) = %v, want nil", v)
	}
	if got := only(t, d); got != "2:4-0: YAML aliases (*name) are not supported in widgets | write the value out in full" {
		t.Errorf("alias diagnostic = %q", got)
	}
}

func TestEntries(t *testing.T) {
	d, body := parse(t, "m: {a: 1, b: 2}\none: {a: 1}\nnull: ~\nlist: [1]\n", testKind)
	if kvs, ok := d.Entries(field(t, d, body, "m"), "m", ""); !ok || len(kvs) != 2 || KeyText(kvs[1]) != "b" {
		t.Errorf("Entries(m) = %v, %v", kvs, ok)
	}
	if kvs, ok := d.Entries(field(t, d, body, "one"), "one", ""); !ok || len(kvs) != 1 || KeyText(kvs[0]) != "a" {
		t.Errorf("Entries(one) = %v, %v", kvs, ok)
	}
	if _, ok := d.Entries(field(t, d, body, "null"), "null", "give it fields"); ok {
		t.Error("Entries(null) ok")
	}
	if got := only(t, d); got != "3:7-8: null is empty | give it fields" {
		t.Errorf("null: %q", got)
	}
	d.Diags = nil
	if _, ok := d.Entries(field(t, d, body, "list"), "list", ""); ok {
		t.Error("Entries(list) ok")
	}
	if got := only(t, d); got != "4:7-0: list must be a mapping, not a list | give list as a mapping (key: value)" {
		t.Errorf("list: %q", got)
	}
}

func TestFields(t *testing.T) {
	src := "name: a\nnmae: b\nname: c\nnmae: d\nuses: e\n"
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("RepeatedUnknownIsDuplicate=", strict), func(t *testing.T) {
			k := testKind
			k.RepeatedUnknownIsDuplicate = strict
			d, body := parse(t, src, k)
			kvs, _ := d.Entries(body, "the widget", "")
			f := d.Fields(kvs, []string{"name", "uses"}, "the widget")
			if len(f) != 2 || d.Pos(f["name"]).Line != 1 || d.Pos(f["uses"]).Line != 5 {
				t.Errorf("fields = %v", f)
			}
			var got []string
			for _, x := range d.Diags {
				got = append(got, fmt.Sprintf("%d:%d-%d %s | %s", x.Pos.Line, x.Pos.Col, x.EndCol, x.Summary, x.Detail))
			}
			fourth := `4:1-5 unknown field "nmae" in the widget | did you mean "name"? Known fields: name, uses.`
			if strict {
				fourth = `4:1-5 duplicate key "nmae" in the widget (first at line 2) | remove one of them`
			}
			want := []string{
				`2:1-5 unknown field "nmae" in the widget | did you mean "name"? Known fields: name, uses.`,
				`3:1-5 duplicate key "name" in the widget (first at line 1) | remove one of them`,
				fourth,
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	// A third occurrence still names the first as first.
	k := testKind
	k.RepeatedUnknownIsDuplicate = true
	d, body := parse(t, "x: 1\nx: 2\nx: 3\n", k)
	kvs, _ := d.Entries(body, "the widget", "")
	d.Fields(kvs, nil, "the widget")
	if len(d.Diags) != 3 || !strings.Contains(d.Diags[2].Summary, "(first at line 1)") || d.Diags[0].Detail != "Known fields: none." {
		t.Errorf("diagnostics = %v", d.Diags)
	}
}

func TestScalars(t *testing.T) {
	src := "s: text\ni: 007\nb: yes\nt: true\nl: [a, 1, [x], b]\nlit: |\n  x\nm: {a: b}\nn: 9223372036854775808\nneg: -3\nf: 1.5\n"
	d, body := parse(t, src, testKind)
	get := func(k string) ast.Node { return field(t, d, body, k) }

	if s, ok := d.ScalarText(get("s"), "s"); !ok || s != "text" {
		t.Errorf("ScalarText(s) = %q, %v", s, ok)
	}
	if s, ok := d.ScalarText(get("i"), "i"); !ok || s != "007" {
		t.Errorf("ScalarText(i) = %q, %v (want the text as written)", s, ok)
	}
	if s, ok := d.ScalarText(get("lit"), "lit"); !ok || s != "x\n" {
		t.Errorf("ScalarText(lit) = %q, %v", s, ok)
	}
	if b, ok := d.Bool(get("t"), "t"); !ok || !b {
		t.Errorf("Bool(t) = %v, %v", b, ok)
	}
	if i, ok := d.Int(get("neg"), "neg", -5, 5); !ok || i != -3 {
		t.Errorf("Int(neg) = %v, %v", i, ok)
	}
	if len(d.Diags) != 0 {
		t.Fatalf("diagnostics = %v", d.Diags)
	}

	check := func(name, want string) {
		t.Helper()
		if got := only(t, d); got != want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
		d.Diags = nil
	}
	if _, ok := d.ScalarText(get("m"), "m"); ok {
		t.Error("ScalarText(mapping) ok")
	}
	check("ScalarText(m)", "8:5-0: m must be a string, not a mapping | give m as text")
	if _, ok := d.Bool(get("b"), "b"); ok {
		t.Error("Bool(yes) ok: YAML 1.2 has only true and false")
	}
	check("Bool(b)", "3:4-7: b must be true or false, not a string | write b: true or b: false")
	if _, ok := d.Int(get("f"), "f", 1, 3); ok {
		t.Error("Int(1.5) ok")
	}
	check("Int(f)", "11:4-7: f must be a whole number, not a decimal number | give f as a whole number from 1 to 3")
	if _, ok := d.Int(get("i"), "i", 1, 3); ok {
		t.Error("Int(7) in 1..3 ok")
	}
	check("Int(i)", "2:4-7: i 007 is out of range | use a value from 1 to 3")
	if _, ok := d.Int(get("n"), "n", 0, 1<<62); ok {
		t.Error("Int(huge) ok")
	}
	check("Int(n)", "9:4-23: n 9223372036854775808 is out of range | use a value from 0 to 4611686018427387904")

	items, ok := d.StringList(get("l"), "l", "write a list")
	if ok || strings.Join(items, ",") != "a,1,b" {
		t.Errorf("StringList(l) = %q, %v; want the good items and false", items, ok)
	}
	check("StringList(l)", "5:11-0: each item of l must be a string, not a list | give each item of l as text")
	if _, ok := d.StringList(get("s"), "s", "write a list"); ok {
		t.Error("StringList(string) ok")
	}
	check("StringList(s)", "1:4-8: s must be a list, not a string | write a list")
}

func TestDuration(t *testing.T) {
	src := "ok: 1m30s\nzero: 0s\nbig: 2h\nbad: soon\nnum: 5\n"
	d, body := parse(t, src, testKind)
	get := func(k string) ast.Node { return field(t, d, body, k) }
	r := DurationRange{Max: time.Hour}

	if v, text, ok := d.Duration(get("ok"), "ok", r); !ok || v != 90*time.Second || text != "1m30s" {
		t.Errorf("Duration(ok) = %v, %q, %v", v, text, ok)
	}
	if v, _, ok := d.Duration(get("zero"), "zero", r); !ok || v != 0 {
		t.Errorf("Duration(zero) = %v, %v: Min is included", v, ok)
	}
	if len(d.Diags) != 0 {
		t.Fatalf("diagnostics = %v", d.Diags)
	}
	tests := []struct {
		key  string
		r    DurationRange
		want string
	}{
		{"zero", DurationRange{Max: time.Hour, AboveMin: true, Hint: "above 0"}, "2:7-9: zero 0s is out of range | above 0"},
		{"big", r, "3:6-8: big 2h is out of range | use a duration from 0s to 1h"},
		{"big", DurationRange{Min: time.Millisecond, Max: 24 * time.Hour}, ""},
		{"bad", r, `4:6-10: bad "soon" is not a duration | write a duration such as 30s, 2m or 1h30m (units: ms, s, m, h)`},
		{"num", DurationRange{Max: time.Hour, Examples: "1s"}, "5:6-7: num must be a duration, not a number | write a duration such as 1s"},
	}
	for _, tt := range tests {
		d.Diags = nil
		_, _, ok := d.Duration(get(tt.key), tt.key, tt.r)
		if tt.want == "" {
			if !ok || len(d.Diags) != 0 {
				t.Errorf("Duration(%s, %+v) = %v, %v", tt.key, tt.r, ok, d.Diags)
			}
			continue
		}
		if ok {
			t.Errorf("Duration(%s, %+v) ok", tt.key, tt.r)
		}
		if got := only(t, d); got != tt.want {
			t.Errorf("Duration(%s):\n got %q\nwant %q", tt.key, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", time.Millisecond: "1ms", time.Second: "1s", 90 * time.Second: "1m30s",
		time.Hour: "1h", 24 * time.Hour: "24h", 90 * time.Minute: "1h30m", time.Hour + time.Second: "1h0m1s",
		10 * time.Minute: "10m", 10 * time.Second: "10s", 100 * time.Hour: "100h", -time.Second: "-1s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	d, body := parse(t, "m: {a: b}\nl: [1]\ni: 1\nf: 1.5\ninf: .inf\nb: true\nn: ~\ns: x\nlit: |\n  x\n", testKind)
	for k, want := range map[string]string{
		"m": "a mapping", "l": "a list", "i": "a number", "f": "a decimal number", "inf": "a decimal number",
		"b": "true/false", "n": "nothing (null)", "s": "a string", "lit": "a string",
	} {
		if got := Describe(d.Unwrap(field(t, d, body, k))); got != want {
			t.Errorf("Describe(%s) = %q, want %q", k, got, want)
		}
	}
}

func TestWarnAndErrorf(t *testing.T) {
	d, body := parse(t, "key: value\n", testKind)
	d.WarnAt(field(t, d, body, "key"), "h", "look at %s", "this")
	d.Errorf(diag.Pos{File: "f.yaml", Line: 1, Col: 3}, 2, "h2", "before the column")
	if len(d.Diags) != 2 {
		t.Fatalf("diagnostics = %v", d.Diags)
	}
	w, e := d.Diags[0], d.Diags[1]
	if w.Severity != diag.Warning || w.Summary != "look at this" || w.Pos.Col != 6 || w.EndCol != 11 || w.Detail != "h" {
		t.Errorf("warning = %+v", w)
	}
	if e.Severity != diag.Error || e.EndCol != 0 {
		t.Errorf("an end column not after the start must be dropped: %+v", e)
	}
	if !d.Diags.HasErrors() {
		t.Error("HasErrors = false")
	}
}

func TestLimits(t *testing.T) {
	kind := Kind{Name: "inventory", Article: "an"}
	for _, tc := range []struct {
		name, src string
		ok        bool
	}{
		{"flat", "a: [1, [2, {b: 3}]]\n", true},
		{"quoted brackets", "a: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n", true},
		{"comment brackets", "a: 1 # " + strings.Repeat("[", 100) + "\n", true},
		{"deep flow", "a: " + strings.Repeat("[", MaxDepth+1), false},
		{"deep block", deepBlock(MaxDepth + 1), false},
		{"block at the limit", deepBlock(MaxDepth - 1), true},
		{"too large", "a: " + strings.Repeat("x", MaxSize), false},
	} {
		d := New("f.yaml", []byte(tc.src), kind)
		if ok := d.checkLimits(); ok != tc.ok {
			t.Errorf("%s: checkLimits = %v, want %v (%v)", tc.name, ok, tc.ok, d.Diags)
		}
	}
}

func deepBlock(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return b.String()
}
