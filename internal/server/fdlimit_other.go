//go:build !unix

package server

// openFileLimit is unknown here: the cap stays DefaultMaxConns.
func openFileLimit() int { return 0 }
