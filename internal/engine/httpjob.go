package engine

import (
	"encoding/base64"
	"fmt"

	"github.com/semaflow/semaflow/internal/executor"
	"github.com/semaflow/semaflow/internal/reconcile"
)

// httpJobSpec turns a resolved http template into the request the
// supervisor makes; reconcile has already refused what cannot run
// (headers from secrets, a timeout out of range).
func httpJobSpec(l *reconcile.Launch, session string, pol executor.HTTPPolicy) (executor.Spec, error) {
	h := l.Template.HTTP
	req := &executor.HTTPRequest{Method: h.Method, URL: h.URL, Body: []byte(h.Body), Timeout: reconcile.HTTPTimeout(h),
		InsecureSkipVerify: h.InsecureSkipVerify, SuccessCondition: h.SuccessCondition, Policy: pol}
	if raw, ok := h.BodyFrom["bytes"]; ok {
		// Argo's bodyFrom.bytes is []byte in JSON: base64.
		s, _ := raw.(string)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return executor.Spec{}, fmt.Errorf("template %q: http.bodyFrom.bytes is not base64: %w", l.Template.Name, err)
		}
		req.Body = b
	}
	for _, hd := range h.Headers {
		req.Headers = append(req.Headers, executor.HTTPHeader{Name: hd.Name, Value: hd.Value})
	}
	return executor.Spec{HTTP: req, Deadline: l.Deadline, DeadlineMessage: reconcile.PodDeadlineMessage, Session: session}, nil
}
