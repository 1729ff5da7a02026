package app

import (
	"testing"

	"github.com/semaflow/semaflow/internal/testkit"
)

// TestMain builds the semaflow binary that supervises the steps of the
// engines OpenLocal assembles here.
func TestMain(m *testing.M) { testkit.Main(m) }
