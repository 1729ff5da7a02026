// Package expr resolves Argo's template placeholders: `{{name}}` looks a
// name up in a flat scope, `{{=expression}}` evaluates an expr-lang
// expression with the functions Argo offers (sprig, jsonpath, asInt,
// asFloat, toJson), and When evaluates a step's `when` condition the way
// Argo does (govaluate, bare words read as strings).
//
// The package is pure: no I/O, no clock.
package expr
