package web_test

import (
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// selectOne returns the element of class class inside the element with id
// id in page, failing the test when there is none.
func selectOne(t *testing.T, page, id, class string) *html.Node {
	t.Helper()
	outer := byID(t, page, id)
	if outer == nil {
		t.Fatalf("no element #%s", id)
	}
	inner := find(outer, func(n *html.Node) bool { return hasClass(n, class) })
	if inner == nil {
		t.Fatalf("no element #%s .%s", id, class)
	}
	return inner
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// textOf returns the element's text, spaces collapsed.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// textsOf returns the text of every element of class class inside the
// element with id id in page, failing the test when there is none.
func textsOf(t *testing.T, page, id, class string) []string {
	t.Helper()
	outer := byID(t, page, id)
	if outer == nil {
		t.Fatalf("no element #%s", id)
	}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && hasClass(n, class) {
			out = append(out, textOf(n))
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(outer)
	if len(out) == 0 {
		t.Fatalf("no element #%s .%s", id, class)
	}
	return out
}

// textByID returns the text inside the element of page with that id, and
// whether there is one, so tests look at one element rather than grep the
// whole page.
func textByID(t *testing.T, page, id string) (string, bool) {
	t.Helper()
	n := byID(t, page, id)
	if n == nil {
		return "", false
	}
	return textOf(n), true
}

// byID parses page and returns its element with that id, or nil.
func byID(t *testing.T, page, id string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	return find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
}

// renderHTML writes n and what it holds as HTML.
func renderHTML(w io.Writer, n *html.Node) error { return html.Render(w, n) }

// byName parses page and returns its first element named name (a form
// field), or nil.
func byName(t *testing.T, page, name string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	return find(doc, func(n *html.Node) bool { return attr(n, "name") == name })
}
