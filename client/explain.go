package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Explain asks why workflow namespace/name, or its node (id, name or
// display name; "" for the workflow), waits: semaflow's
// GET /api/v1/workflows/{ns}/{name}/explain. The answer is returned as the
// server wrote it; its "lines" field holds the plain sentences.
func (c *Client) Explain(ctx context.Context, namespace, name, node string) (json.RawMessage, error) {
	path := "/api/v1/workflows/" + url.PathEscape(namespace) + "/" + url.PathEscape(name) + "/explain"
	if node != "" {
		path += "?" + url.Values{"node": {node}}.Encode()
	}
	var out json.RawMessage
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}
