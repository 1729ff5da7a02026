package lockq

import (
	"strings"
	"testing"
	"time"
)

// Two workflows created within one second are told apart by the
// fraction of the second, not shown as "02:22:51 < 02:22:51" (hostile
// 19, LOW); a whole second apart, seconds suffice.
func TestCreatedEarlierShowsWhatDiffers(t *testing.T) {
	now := time.Date(2026, 1, 2, 2, 30, 0, 0, time.UTC)
	base := time.Date(2026, 1, 2, 2, 22, 51, 120_000_000, time.UTC)
	for _, tc := range []struct {
		ahead, w time.Time
		want     string
	}{
		{base, base.Add(340 * time.Millisecond), "created earlier (02:22:51.12 < 02:22:51.46)"},
		{base, base.Add(2 * time.Second), "created earlier (02:22:51 < 02:22:53)"},
	} {
		got := AheadWhy{Holder: "default/a", Because: AheadCreated, Created: tc.ahead}.sentence(Why{Created: tc.w}, now)
		if !strings.Contains(got, tc.want) {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
