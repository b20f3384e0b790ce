package web

import "testing"

func TestThrottleAddress(t *testing.T) {
	tests := []struct {
		ip, want string
	}{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		if got := throttleAddress(tt.ip); got != tt.want {
			t.Errorf("throttleAddress(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}
