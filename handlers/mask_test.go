package handlers

import (
	"strings"
	"testing"
)

func TestMaskBody(t *testing.T) {
	tests := []struct {
		in      string
		hidden  []string
		visible []string
	}{
		{`{"data":{"channel_properties":{"account_number":"000000000099","account_holder_name":"Michael Chen"},"amount":10000}}`,
			[]string{"000000000099"}, []string{"XXXXXXXX0099", "Michael Chen", "10000"}},
		{`{"beneficiary":{"beneficiary_acc_number":"123456789012"},"utr_number":"415612345678"}`,
			[]string{"123456789012"}, []string{"XXXXXXXX9012", "415612345678"}},
		{`{"fund_account":{"bank_account":{"account_number":1121431121541121}}}`, []string{"1121431121541121"}, []string{"1121"}},
		{`account=1234567890123 utr 12`, []string{"1234567890123"}, []string{"XXXXXXXXX0123", "utr 12"}},
	}
	for _, tt := range tests {
		got := MaskBody([]byte(tt.in))
		for _, h := range tt.hidden {
			if strings.Contains(got, h) {
				t.Errorf("MaskBody(%s) shows %s: %s", tt.in, h, got)
			}
		}
		for _, v := range tt.visible {
			if !strings.Contains(got, v) {
				t.Errorf("MaskBody(%s) lacks %s: %s", tt.in, v, got)
			}
		}
	}
}
