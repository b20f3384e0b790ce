package smtptest

import "mime"

// mimeDecoder decodes encoded words of headers (=?utf-8?q?...?=).
type mimeDecoder struct{ mime.WordDecoder }

func (d *mimeDecoder) decode(s string) (string, error) { return d.DecodeHeader(s) }
