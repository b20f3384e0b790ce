package adapters

import "testing"

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"Vendorpay", 10, "Vendorpay"},
		{"Vendor payment May", 10, "Vendor pay"},
		{"₹₹₹₹", 10, "₹₹₹"}, // 3 bytes each: 9 fit, the 4th would split
		{"", 5, ""},
	}
	for _, tt := range tests {
		if got := Clip(tt.in, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestVerifyHMACHex(t *testing.T) {
	body := []byte(`{"a":1}`)
	sig := HMACHex([]byte("new"), body)
	tests := []struct {
		secrets [][]byte
		sig     string
		want    bool
	}{
		{[][]byte{[]byte("new")}, sig, true},
		{[][]byte{[]byte("old"), []byte("new")}, sig, true}, // rotation
		{[][]byte{[]byte("old")}, sig, false},
		{[][]byte{[]byte("new")}, "", false},
		{[][]byte{{}}, HMACHex(nil, body), false}, // an empty secret verifies nothing
	}
	for i, tt := range tests {
		if got := VerifyHMACHex(tt.secrets, body, tt.sig); got != tt.want {
			t.Errorf("%d: got %v, want %v", i, got, tt.want)
		}
	}
}
