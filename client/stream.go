package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/semaflow/semaflow/api/wfv1"
)

// WatchEvent is one change to a workflow: ADDED, MODIFIED or DELETED.
type WatchEvent struct {
	Type   string         `json:"type"`
	Object *wfv1.Workflow `json:"object"`
}

// LogEntry is one line of a step's log.
type LogEntry struct {
	Content string `json:"content"`
	PodName string `json:"podName"`
}

// stream GETs a streaming endpoint and calls fn for each result until the
// stream ends, ctx ends, or fn returns an error (returned, except
// ErrStop).
func (c *Client) stream(ctx context.Context, path string, fn func(json.RawMessage) error) error {
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Result json.RawMessage `json:"result"`
		}
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if err := fn(msg.Result); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
}

// ErrStop, returned by a stream callback, ends the stream without error.
var ErrStop = errors.New("stop")

// Watch streams the changes of a namespace's workflows (first the
// current ones, as ADDED) to fn.
func (c *Client) Watch(ctx context.Context, namespace string, o ListOptions, fn func(WatchEvent) error) error {
	return c.stream(ctx, "/api/v1/workflow-events/"+url.PathEscape(namespace)+"?"+o.query().Encode(), func(raw json.RawMessage) error {
		var ev WatchEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return err
		}
		return fn(ev)
	})
}

// Logs streams a workflow's step logs (pod: one step, by node ID or
// name); with follow it goes on until the workflow ends.
func (c *Client) Logs(ctx context.Context, namespace, name, pod, grep string, follow bool, fn func(LogEntry) error) error {
	q := url.Values{}
	if pod != "" {
		q.Set("podName", pod)
	}
	if grep != "" {
		q.Set("grep", grep)
	}
	if follow {
		q.Set("logOptions.follow", "true")
	}
	path := "/api/v1/workflows/" + url.PathEscape(namespace) + "/" + url.PathEscape(name) + "/log?" + q.Encode()
	return c.stream(ctx, path, func(raw json.RawMessage) error {
		var e LogEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		return fn(e)
	})
}
