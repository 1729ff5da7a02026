package locks_test

import (
	"testing"

	"github.com/semaflow/semaflow/internal/testkit"
)

// TestMain stops the PostgreSQL server the benchmarks on it started.
func TestMain(m *testing.M) { testkit.PostgresMain(m) }
