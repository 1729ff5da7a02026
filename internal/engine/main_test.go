package engine_test

import (
	"testing"

	"github.com/semaflow/semaflow/internal/testkit"
)

// TestMain builds the semaflow binary that supervises the steps of the
// tests and benchmarks that run real ones.
func TestMain(m *testing.M) { testkit.Main(m) }
