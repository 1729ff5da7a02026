package cli

import (
	"context"
	"errors"
	"net/http"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/client"
)

// serverLookup finds the templates and ConfigMaps a server already holds,
// so that lint before a submit or an apply judges references as the
// server will, instead of warning that they are not in the files. The
// first failure other than "not found" is kept: the command reports it
// rather than lint's verdict.
type serverLookup struct {
	ctx context.Context
	c   *client.Client
	err error
}

func (l *serverLookup) get(kind client.ObjectKind, namespace, name string, out any) bool {
	if l.err != nil {
		return false
	}
	err := l.c.GetObject(l.ctx, kind, namespace, name, out)
	var api *client.APIError
	switch {
	case err == nil:
		return true
	case errors.As(err, &api) && api.Status == http.StatusNotFound:
	default:
		l.err = err
	}
	return false
}

func (l *serverLookup) WorkflowTemplate(namespace, name string, cluster bool) *wfv1.WorkflowTemplate {
	kind := client.Templates
	if cluster {
		kind = client.ClusterTemplates
	}
	var t wfv1.WorkflowTemplate
	if !l.get(kind, namespace, name, &t) {
		return nil
	}
	return &t
}

func (l *serverLookup) ConfigMap(namespace, name string) *wfv1.ConfigMap {
	var cm wfv1.ConfigMap
	if !l.get(client.ConfigMaps, namespace, name, &cm) {
		return nil
	}
	return &cm
}

// DatabaseLimit reads a database semaphore's limit from the server; a
// limit the caller may not read counts as set, lint then says nothing.
func (l *serverLookup) DatabaseLimit(namespace, key string) (int, bool) {
	if l.err != nil {
		return 0, true
	}
	n, err := l.c.SyncLimit(l.ctx, namespace, "", key)
	if client.NotFound(err) {
		return 0, false
	}
	if err != nil {
		return 1, true
	}
	return n, true
}
