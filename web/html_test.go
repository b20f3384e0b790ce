package web_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// textByID returns the text inside the element of page with that id, and
// whether there is one, so tests look at one element rather than grep the
// whole page.
func textByID(t *testing.T, page, id string) (string, bool) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, at := range n.Attr {
			if at.Key == "id" && at.Val == id {
				var b strings.Builder
				for c := range n.Descendants() {
					if c.Type == html.TextNode {
						b.WriteString(c.Data + " ")
					}
				}
				return strings.Join(strings.Fields(b.String()), " "), true
			}
		}
	}
	return "", false
}
