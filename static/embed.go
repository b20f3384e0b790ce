// Package static holds the dashboard's CSS, scripts, icon (favicon.svg) and vendored htmx 2.0.11
// (htmx.LICENSE), embedded into the binary.
package static

import "embed"

//go:embed *.css *.js *.svg *.LICENSE
var files embed.FS

// FS returns the embedded files.
func FS() embed.FS { return files }
