package email

import (
	"net/textproto"
	"testing"
)

// Only a refusal of the address itself gives one notice up; a relay or
// policy refusal is the server's, for every address alike.
func TestBadMailbox(t *testing.T) {
	for _, tt := range []struct {
		code int
		msg  string
		want bool
	}{
		{550, "no such mailbox", true}, {550, "5.1.1 user unknown", true}, {553, "5.1.3 bad address syntax", true},
		{551, "user not local", true}, {554, "5.7.1 Relay access denied", false},
		{550, "5.7.1 Client host rejected: access denied", false}, {530, "5.7.0 Authentication required", false},
		{552, "5.2.2 mailbox full", false}, {452, "mailbox full, try later", false},
	} {
		if got := badMailbox(&textproto.Error{Code: tt.code, Msg: tt.msg}); got != tt.want {
			t.Errorf("%d %s: bad mailbox %v, want %v", tt.code, tt.msg, got, tt.want)
		}
	}
}
