package diskroom

import "testing"

func TestReserveIsASixteenthWithinBounds(t *testing.T) {
	for _, c := range []struct{ size, want uint64 }{
		{0, 1 << 20},
		{8 << 20, 1 << 20},
		{64 << 20, 4 << 20},
		{256 << 30, 32 << 20},
	} {
		if got := Reserve(c.size); got != c.want {
			t.Errorf("Reserve(%d) = %d, want %d", c.size, got, c.want)
		}
	}
	if !(Room{Free: 1 << 19, Size: 8 << 20}).Low() || (Room{Free: 2 << 20, Size: 8 << 20}).Low() {
		t.Error("Low does not compare the free room with the reserve")
	}
}
