package executor

import (
	"encoding/json"
	"fmt"
	"strings"
)

// A step with initContainers or sidecars runs the pod runner (`semaflow
// pod`, internal/podrun) as its program, served to the step as argosay
// is, with its own command after `--`: every container is then a process
// of the step, confined as it is. The runner writes a failure its exit
// code does not tell (which init container or sidecar failed) to
// podMessagePath in the step's /tmp, read back into Result.Message.
const podMessagePath = "/tmp/.semaflow-pod-message"

// maxPodPlan bounds the plan, passed as one argument (the kernel takes
// at most 128 KiB per argument).
const maxPodPlan = 64 << 10

// maxPodMessage bounds the message kept from the runner's file, which
// the step may write.
const maxPodMessage = 4 << 10

// podArgv wraps argv in the pod runner when the spec has a pod plan.
func podArgv(argv []string, spec *Spec, view stepView) ([]string, error) {
	if spec.Pod == nil {
		return argv, nil
	}
	b, err := json.Marshal(spec.Pod)
	if err != nil {
		return nil, err
	}
	if len(b) > maxPodPlan {
		return nil, fmt.Errorf("the step's initContainers and sidecars take %d bytes; at most %d are passed to its pod runner", len(b), maxPodPlan)
	}
	return append([]string{progSelf, "pod", "--message", view.step(podMessagePath), string(b), "--"}, argv...), nil
}

// readPodMessage reads the pod runner's failure message, if it wrote one.
func readPodMessage(spec *Spec, view stepView, res *Result) {
	if spec.Pod == nil {
		return
	}
	b, err := view.readOutput(spec, view.step(podMessagePath))
	if err != nil {
		return
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > maxPodMessage {
		msg = msg[:maxPodMessage] + "..."
	}
	res.Message = msg
}
