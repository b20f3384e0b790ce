package handlers

import (
	"bufio"
	"database/sql"
	"io"
	"strings"
)

// csvWriter writes RFC 4180 CSV straight from bytes, without a string per
// cell: an export of a million rows stays fast and small. Every cell is
// formula-safe (see cell).
type csvWriter struct {
	w   *bufio.Writer
	err error
}

func newCSVWriter(w io.Writer) *csvWriter { return &csvWriter{w: bufio.NewWriterSize(w, 64<<10)} }

// rawRow writes one row of cells; the error is the writer's.
func (c *csvWriter) rawRow(cells []sql.RawBytes) error {
	for i, v := range cells {
		if i > 0 {
			c.w.WriteByte(',')
		}
		c.cell(v)
	}
	_, c.err = c.w.WriteString("\r\n")
	return c.err
}

func (c *csvWriter) row(cells []string) {
	raw := make([]sql.RawBytes, len(cells))
	for i, s := range cells {
		raw[i] = sql.RawBytes(s)
	}
	c.rawRow(raw)
}

// cell writes v, quoted when it holds a comma, a quote or a line break, and
// prefixed with ' when a spreadsheet would read it as a formula.
func (c *csvWriter) cell(v []byte) {
	formula := len(v) > 0 && strings.IndexByte("=+-@\t\r", v[0]) >= 0
	quote := false
	for _, b := range v {
		if b == ',' || b == '"' || b == '\n' || b == '\r' {
			quote = true
			break
		}
	}
	if !quote && !formula {
		c.w.Write(v)
		return
	}
	if quote {
		c.w.WriteByte('"')
	}
	if formula {
		c.w.WriteByte('\'')
	}
	for _, b := range v {
		if b == '"' {
			c.w.WriteByte('"')
		}
		c.w.WriteByte(b)
	}
	if quote {
		c.w.WriteByte('"')
	}
}

func (c *csvWriter) flush() { c.w.Flush() }
