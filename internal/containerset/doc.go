// Package containerset runs an Argo containerSet inside one step, as
// Argo's emissary does inside one pod: each container is a process of the
// step, started once the containers it depends on exited 0, all sharing
// the step's working directory (and, as root, the set's volumeMounts).
// The step's stdout is the main container's, so outputs.result is main's,
// as in Argo; the others write to the step's log only.
//
// The runner is the semaflow binary itself, started as the step's program
// (`semaflow containerset PLAN`), so it runs confined as the step is.
package containerset
