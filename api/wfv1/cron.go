package wfv1

import "time"

// CronWorkflow submits a Workflow on a schedule.
type CronWorkflow struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta         `json:"metadata"`
	Spec     CronWorkflowSpec   `json:"spec"`
	Status   CronWorkflowStatus `json:"status,omitempty"`
}

// CronWorkflowSpec is the schedule and the workflow to submit.
type CronWorkflowSpec struct {
	WorkflowSpec               WorkflowSpec  `json:"workflowSpec"`
	Schedule                   string        `json:"schedule,omitempty"`
	Schedules                  []string      `json:"schedules,omitempty"`
	ConcurrencyPolicy          string        `json:"concurrencyPolicy,omitempty"`
	Suspend                    bool          `json:"suspend,omitempty"`
	StartingDeadlineSeconds    *int64        `json:"startingDeadlineSeconds,omitempty"`
	SuccessfulJobsHistoryLimit *int32        `json:"successfulJobsHistoryLimit,omitempty"`
	FailedJobsHistoryLimit     *int32        `json:"failedJobsHistoryLimit,omitempty"`
	Timezone                   string        `json:"timezone,omitempty"`
	WorkflowMetadata           *ObjectMeta   `json:"workflowMetadata,omitempty"`
	StopStrategy               *StopStrategy `json:"stopStrategy,omitempty"`
	When                       string        `json:"when,omitempty"`
}

// AllSchedules is every schedule the spec gives: the older single
// schedule (Argo before v3.6) first, then schedules, each once (an older
// semaflow stored copies of schedule in schedules).
func (s *CronWorkflowSpec) AllSchedules() []string {
	var out []string
	seen := map[string]bool{}
	for _, sc := range append([]string{s.Schedule}, s.Schedules...) {
		if sc != "" && !seen[sc] {
			seen[sc] = true
			out = append(out, sc)
		}
	}
	return out
}

// StopStrategy stops scheduling once an expression holds.
type StopStrategy struct {
	Expression string `json:"expression"`
}

// CronWorkflowStatus is what the scheduler has done so far.
type CronWorkflowStatus struct {
	Active            []Object    `json:"active,omitempty"`
	LastScheduledTime *time.Time  `json:"lastScheduledTime,omitempty"`
	Conditions        []Condition `json:"conditions,omitempty"`
	Succeeded         int64       `json:"succeeded,omitempty"`
	Failed            int64       `json:"failed,omitempty"`
	Phase             string      `json:"phase,omitempty"`
}

// Condition is a status condition.
type Condition struct {
	Type    string `json:"type,omitempty"`
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}
