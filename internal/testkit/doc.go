// Package testkit assembles, for tests only, what internal/app assembles
// for semaflow: an engine on a SQLite store whose steps run under a real
// semaflow binary, and the test doubles and measures that tests of
// several packages share. It lets the engine's, the lock manager's and
// the server's tests live beside their code without each copying the
// composition root. Lint keeps production code from importing it
// (.golangci.yml, testkit-only-in-tests), so the rule that only app picks
// a store driver still holds for what ships.
package testkit
