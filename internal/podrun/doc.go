// Package podrun runs the extra containers of an Argo pod inside one
// step, as Argo's pod runs them: the initContainers one after the other
// before the main container (one that fails ends the step, named in its
// message), then the sidecars, started before main and killed, with
// everything they started, once main has exited. The step's stdout and
// exit code are main's; the others write to the step's log only.
//
// The runner is the semaflow binary itself, started as the step's program
// (`semaflow pod`), so every container runs confined as the step is: the
// same mount namespace, working directory and private /tmp.
package podrun
