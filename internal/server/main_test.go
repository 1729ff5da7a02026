package server_test

import (
	"testing"

	"github.com/semaflow/semaflow/internal/testkit"
)

// TestMain builds the semaflow binary that supervises the steps of the
// API tests' workflows.
func TestMain(m *testing.M) { testkit.Main(m) }
