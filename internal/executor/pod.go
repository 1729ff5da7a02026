package executor

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/semaflow/semaflow/internal/stepinit"
)

// A step with initContainers or sidecars runs the pod runner (`semaflow
// pod`, internal/podrun) as its program, served to the step as argosay
// is, with its own command after `--`: every container is then a process
// of the step, confined as it is. The runner writes a failure its exit
// code does not tell (which init container or sidecar failed) to a pipe
// of the supervisor's, read back into Result.Message: not to a file,
// which the step (running as the same user, in the same /tmp) could write.

// maxPodPlan bounds the plan, passed as one argument (the kernel takes
// at most 128 KiB per argument).
const maxPodPlan = 64 << 10

// maxPodMessage bounds the message kept from the runner's pipe.
const maxPodMessage = 4 << 10

// podMessageFD is the runner's fd for its pipe: the first after stdio,
// or, through the step init, after its StatusFD and SpecFD (the init
// passes it on).
func podMessageFD(throughInit bool) int {
	if throughInit {
		return stepinit.SpecFD + 1
	}
	return 3
}

// podArgv wraps argv in the pod runner when the spec has a pod plan.
func podArgv(argv []string, spec *Spec, throughInit bool) ([]string, error) {
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
	return append([]string{progSelf, "pod", "--message-fd", strconv.Itoa(podMessageFD(throughInit)), string(b), "--"}, argv...), nil
}

// podMessage is the pipe the runner writes its message to.
type podMessage struct{ r, w *os.File }

// newPodMessage makes the pipe, for a spec with a pod plan (nil
// otherwise).
func newPodMessage(spec *Spec) (*podMessage, error) {
	if spec.Pod == nil {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("the pod runner's message pipe: %w", err)
	}
	return &podMessage{r: r, w: w}, nil
}

// started drops this process's write end once the step has its own.
func (m *podMessage) started() {
	if m != nil {
		_ = m.w.Close()
	}
}

func (m *podMessage) close() {
	if m != nil {
		_ = m.w.Close()
		_ = m.r.Close()
	}
}

// podMessageWait bounds the wait for the pipe's end once the step ended:
// the runner wrote before it exited, and none of its containers holds the
// pipe, but one of the step's processes might (through /proc, as root).
const podMessageWait = 200 * time.Millisecond

// read reads the runner's failure message, if it wrote one, once the step
// ended: what the pipe holds, never waiting long on a writer left behind.
func (m *podMessage) read(res *Result) {
	if m == nil {
		return
	}
	_ = m.r.SetReadDeadline(time.Now().Add(podMessageWait))
	b, _ := io.ReadAll(io.LimitReader(m.r, maxPodMessage+1))
	msg := strings.TrimSpace(string(b))
	if len(msg) > maxPodMessage {
		msg = msg[:maxPodMessage] + "..."
	}
	if msg != "" {
		res.Message = msg
	}
}
