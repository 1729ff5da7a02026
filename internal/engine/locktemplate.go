package engine

import (
	"strings"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/locks"
)

// Labels Argo puts on a workflow submitted from a WorkflowTemplate or a
// ClusterWorkflowTemplate (CronLabel: made by a CronWorkflow).
const (
	templateLabel        = "workflows.argoproj.io/workflow-template"
	clusterTemplateLabel = "workflows.argoproj.io/cluster-workflow-template"
)

// lockTemplate names what takes a workflow's or node's locks, the key of
// its hold-time history (locks.Request.Template, locks.HistoryKey): the
// template, qualified by where it is defined, so that unrelated workflows'
// "main" templates keep apart and repeated runs of one pipeline share one:
//
//   - a template of a WorkflowTemplate, whether run through
//     workflowTemplateRef, submitted from it, reached by templateRef or
//     called inside one: "wt:<name>|<template>" ("cwt:" cluster-scoped);
//   - else a template of the workflow, under its pipeline: the
//     CronWorkflow that made it ("cron:<name>"), its generateName
//     ("gen:<prefix>"), or its name ("name:<name>"), so a workflow with a
//     fixed name resubmitted shares its history;
//   - the workflow's own locks: the pipeline and an empty template
//     ("gen:etl-|").
//
// Unique names without generateName give one key each: the lock manager
// keeps at most 32 per lock and counts the rest for the
// lock alone. "" when the node is not known: its holds count for the lock
// alone.
func lockTemplate(wf *wfv1.Workflow, nodeID string) string {
	if nodeID == "" {
		return locks.HistoryKey(pipeline(wf), "")
	}
	n, ok := wf.Status.Nodes[nodeID]
	if !ok {
		return ""
	}
	if r := n.TemplateRef; r != nil && r.Name != "" {
		return locks.HistoryKey(templateGroup(r.Name, r.ClusterScope), r.Template)
	}
	if n.TemplateName == "" {
		return ""
	}
	if name, ok := strings.CutPrefix(n.TemplateScope, "namespaced/"); ok {
		return locks.HistoryKey(templateGroup(name, false), n.TemplateName)
	}
	if name, ok := strings.CutPrefix(n.TemplateScope, "cluster/"); ok {
		return locks.HistoryKey(templateGroup(name, true), n.TemplateName)
	}
	return locks.HistoryKey(pipeline(wf), n.TemplateName)
}

// pipeline names what a workflow is a run of, for lockTemplate.
func pipeline(wf *wfv1.Workflow) string {
	labels := wf.Metadata.Labels
	switch {
	case wf.Spec.WorkflowTemplateRef != nil && wf.Spec.WorkflowTemplateRef.Name != "":
		return templateGroup(wf.Spec.WorkflowTemplateRef.Name, wf.Spec.WorkflowTemplateRef.ClusterScope)
	case labels[clusterTemplateLabel] != "":
		return templateGroup(labels[clusterTemplateLabel], true)
	case labels[templateLabel] != "":
		return templateGroup(labels[templateLabel], false)
	case labels[CronLabel] != "":
		return "cron:" + labels[CronLabel]
	case wf.Metadata.GenerateName != "":
		return "gen:" + wf.Metadata.GenerateName
	}
	return "name:" + wf.Metadata.Name
}

func templateGroup(name string, cluster bool) string {
	if cluster {
		return "cwt:" + name
	}
	return "wt:" + name
}
