package spec

import (
	"strings"
	"testing"
)

// unhonouredCase is a manifest fragment and the diagnostic it must give:
// its severity, field path and a fragment of its message.
type unhonouredCase struct {
	name string
	src  string // the workflow's spec, below "spec:"
	sev  Severity
	path string
	says string
}

// wfWith is a workflow whose spec holds body plus one container template.
func wfWith(body string) string {
	return wfHeader + "spec:\n  entrypoint: main\n" + body
}

const mainTmpl = "  templates:\n  - name: main\n    container: {image: a, command: [echo]}\n"

// specField is a workflow-level field set on an otherwise plain workflow.
func specField(field, value string) string {
	return wfWith("  " + field + ": " + value + "\n" + mainTmpl)
}

// volWith is a workflow with one volume and main's container mounting
// with mount.
func volWith(volume, mount string) string {
	return wfWith("  volumes: [" + volume + "]\n  templates:\n  - name: main\n    container: {image: a, command: [echo], volumeMounts: [" + mount + "]}\n")
}

// tmplField is a template-level field of the template main.
func tmplField(field, value string) string {
	return wfWith("  templates:\n  - name: main\n    " + field + ": " + value + "\n    container: {image: a, command: [echo]}\n")
}

// ctrField is a field of main's container.
func ctrField(field, value string) string {
	return wfWith("  templates:\n  - name: main\n    container:\n      image: a\n      command: [echo]\n      " + field + ": " + value + "\n")
}

const (
	node      = "nothing is scheduled onto Kubernetes nodes"
	account   = "no Kubernetes service account"
	pod       = "not in pods"
	container = "not in containers"
	pull      = "images are not pulled"
	network   = "host's network and name resolution"
	resources = "not enforced on host processes"
	probes    = "probes and lifecycle hooks are not run"
)

var unhonouredCases = []unhonouredCase{
	// Workflow-level fields that only shape pods: warnings.
	{"spec serviceAccountName", specField("serviceAccountName", "sa"), SeverityWarning, "spec.serviceAccountName", account},
	{"spec automountServiceAccountToken", specField("automountServiceAccountToken", "false"), SeverityWarning, "spec.automountServiceAccountToken", account},
	{"spec executor", specField("executor", "{serviceAccountName: x}"), SeverityWarning, "spec.executor", account},
	{"spec podPriorityClassName", specField("podPriorityClassName", "high"), SeverityWarning, "spec.podPriorityClassName", node},
	{"spec nodeSelector", specField("nodeSelector", "{disk: ssd}"), SeverityWarning, "spec.nodeSelector", "nodeSelector is ignored: steps run on this host; " + node},
	{"spec affinity", specField("affinity", "{nodeAffinity: {}}"), SeverityWarning, "spec.affinity", node},
	{"spec tolerations", specField("tolerations", "[{key: a, operator: Exists}]"), SeverityWarning, "spec.tolerations", node},
	{"spec schedulerName", specField("schedulerName", "mine"), SeverityWarning, "spec.schedulerName", node},
	{"spec podDisruptionBudget", specField("podDisruptionBudget", "{minAvailable: 1}"), SeverityWarning, "spec.podDisruptionBudget", node},
	{"spec imagePullSecrets", specField("imagePullSecrets", "[{name: reg}]"), SeverityWarning, "spec.imagePullSecrets", pull},
	{"spec hostNetwork", specField("hostNetwork", "true"), SeverityWarning, "spec.hostNetwork", network},
	{"spec dnsPolicy", specField("dnsPolicy", "None"), SeverityWarning, "spec.dnsPolicy", network},
	{"spec dnsConfig", specField("dnsConfig", "{nameservers: [1.1.1.1]}"), SeverityWarning, "spec.dnsConfig", network},
	{"spec hostAliases", specField("hostAliases", "[{ip: 127.0.0.1, hostnames: [x]}]"), SeverityWarning, "spec.hostAliases", network},
	{"spec securityContext", specField("securityContext", "{runAsNonRoot: true}"), SeverityWarning, "spec.securityContext", pod},
	{"spec podSpecPatch", specField("podSpecPatch", "'{}'"), SeverityWarning, "spec.podSpecPatch", "podSpecPatch is ignored"},
	{"spec podMetadata", specField("podMetadata", "{labels: {a: b}}"), SeverityWarning, "spec.podMetadata", pod},
	{"spec podGC", specField("podGC", "{strategy: OnPodSuccess}"), SeverityWarning, "spec.podGC", "there are no pods to delete"},
	{"spec podResources", specField("podResources", "{limits: {cpu: 1}}"), SeverityWarning, "spec.podResources", resources},
	{"spec resourceClaims", specField("resourceClaims", "[{name: gpu}]"), SeverityWarning, "spec.resourceClaims", resources},
	{"spec volumeClaimGC", specField("volumeClaimGC", "{strategy: OnWorkflowCompletion}"), SeverityWarning, "spec.volumeClaimGC", "no volume claims"},
	{"spec metrics", specField("metrics", "{prometheus: []}"), SeverityWarning, "spec.metrics", "custom Prometheus metrics are not emitted"},
	{"spec artifactGC.podMetadata", specField("artifactGC", "{strategy: OnWorkflowDeletion, podMetadata: {labels: {a: b}}}"), SeverityWarning, "spec.artifactGC.podMetadata", pod},
	{"spec artifactGC.serviceAccountName", specField("artifactGC", "{serviceAccountName: gc}"), SeverityWarning, "spec.artifactGC.serviceAccountName", account},
	{"spec artifactGC.podSpecPatch", specField("artifactGC", "{podSpecPatch: '{}'}"), SeverityWarning, "spec.artifactGC.podSpecPatch", "podSpecPatch is ignored"},
	{"spec executorPlugins", specField("executorPlugins", "[{}]"), SeverityWarning, "spec.executorPlugins", "Argo's agent pod"},
	{"spec retryStrategy.affinity", specField("retryStrategy", "{limit: 1, affinity: {nodeAntiAffinity: {}}}"), SeverityWarning, "spec.retryStrategy.affinity", node},

	// Template-level fields that only shape pods: warnings.
	{"template serviceAccountName", tmplField("serviceAccountName", "sa"), SeverityWarning, "spec.templates[0].serviceAccountName", account},
	{"template automountServiceAccountToken", tmplField("automountServiceAccountToken", "false"), SeverityWarning, "spec.templates[0].automountServiceAccountToken", account},
	{"template executor", tmplField("executor", "{serviceAccountName: x}"), SeverityWarning, "spec.templates[0].executor", account},
	{"template nodeSelector", tmplField("nodeSelector", "{disk: ssd}"), SeverityWarning, "spec.templates[0].nodeSelector", node},
	{"template affinity", tmplField("affinity", "{nodeAffinity: {}}"), SeverityWarning, "spec.templates[0].affinity", node},
	{"template tolerations", tmplField("tolerations", "[{key: a}]"), SeverityWarning, "spec.templates[0].tolerations", node},
	{"template schedulerName", tmplField("schedulerName", "mine"), SeverityWarning, "spec.templates[0].schedulerName", node},
	{"template priorityClassName", tmplField("priorityClassName", "high"), SeverityWarning, "spec.templates[0].priorityClassName", node},
	{"template retryStrategy.affinity", tmplField("retryStrategy", "{limit: 1, affinity: {nodeAntiAffinity: {}}}"), SeverityWarning, "spec.templates[0].retryStrategy.affinity", node},
	{"template hostAliases", tmplField("hostAliases", "[{ip: 127.0.0.1}]"), SeverityWarning, "spec.templates[0].hostAliases", network},
	{"template securityContext", tmplField("securityContext", "{runAsUser: 1000}"), SeverityWarning, "spec.templates[0].securityContext", pod},
	{"template podSpecPatch", tmplField("podSpecPatch", "'{}'"), SeverityWarning, "spec.templates[0].podSpecPatch", pod},
	{"template metadata", tmplField("metadata", "{labels: {a: b}}"), SeverityWarning, "spec.templates[0].metadata", pod},
	{"template podResources", tmplField("podResources", "{requests: {memory: 1Gi}}"), SeverityWarning, "spec.templates[0].podResources", resources},
	{"template resourceClaims", tmplField("resourceClaims", "[{name: gpu}]"), SeverityWarning, "spec.templates[0].resourceClaims", resources},
	{"template metrics", tmplField("metrics", "{prometheus: []}"), SeverityWarning, "spec.templates[0].metrics", "custom Prometheus metrics"},

	// Container fields: warnings.
	{"container resources", ctrField("resources", "{limits: {cpu: 100m}}"), SeverityWarning, "spec.templates[0].container.resources", resources},
	{"container resizePolicy", ctrField("resizePolicy", "[{resourceName: cpu}]"), SeverityWarning, "spec.templates[0].container.resizePolicy", resources},
	{"container imagePullPolicy", ctrField("imagePullPolicy", "Always"), SeverityWarning, "spec.templates[0].container.imagePullPolicy", pull},
	{"container securityContext", ctrField("securityContext", "{privileged: true}"), SeverityWarning, "spec.templates[0].container.securityContext", container},
	{"container ports", ctrField("ports", "[{containerPort: 80}]"), SeverityWarning, "spec.templates[0].container.ports", network},
	{"container livenessProbe", ctrField("livenessProbe", "{exec: {}}"), SeverityWarning, "spec.templates[0].container.livenessProbe", probes},
	{"container readinessProbe", ctrField("readinessProbe", "{exec: {}}"), SeverityWarning, "spec.templates[0].container.readinessProbe", probes},
	{"container startupProbe", ctrField("startupProbe", "{exec: {}}"), SeverityWarning, "spec.templates[0].container.startupProbe", probes},
	{"container lifecycle", ctrField("lifecycle", "{preStop: {}}"), SeverityWarning, "spec.templates[0].container.lifecycle", probes},
	{"container restartPolicy", ctrField("restartPolicy", "Always"), SeverityWarning, "spec.templates[0].container.restartPolicy", container},
	{"container restartPolicyRules", ctrField("restartPolicyRules", "[{}]"), SeverityWarning, "spec.templates[0].container.restartPolicyRules", container},
	{"container volumeDevices", ctrField("volumeDevices", "[{name: d, devicePath: /dev/x}]"), SeverityWarning, "spec.templates[0].container.volumeDevices", container},
	{"container terminationMessagePath", ctrField("terminationMessagePath", "/m"), SeverityWarning, "spec.templates[0].container.terminationMessagePath", container},
	{"container terminationMessagePolicy", ctrField("terminationMessagePolicy", "File"), SeverityWarning, "spec.templates[0].container.terminationMessagePolicy", container},
	{"container stdin", ctrField("stdin", "true"), SeverityWarning, "spec.templates[0].container.stdin", container},
	{"container stdinOnce", ctrField("stdinOnce", "true"), SeverityWarning, "spec.templates[0].container.stdinOnce", container},
	{"container tty", ctrField("tty", "true"), SeverityWarning, "spec.templates[0].container.tty", container},
	{"container mirrorVolumeMounts", ctrField("mirrorVolumeMounts", "true"), SeverityWarning, "spec.templates[0].container.mirrorVolumeMounts", container},
	{"a script's container field", wfWith("  templates:\n  - name: main\n    script: {image: a, source: x, imagePullPolicy: Never}\n"),
		SeverityWarning, "spec.templates[0].script.imagePullPolicy", pull},

	// Volumes no step mounts: warnings.
	{"unused workflow volume", specField("volumes", "[{name: v, emptyDir: {}}]"), SeverityWarning, "spec.volumes[0]", `volume "v" is ignored: no step mounts it`},
	{"unused volume claim template", specField("volumeClaimTemplates", "[{metadata: {name: work}}]"), SeverityWarning, "spec.volumeClaimTemplates[0]", `volume claim template "work" is ignored: no step mounts it`},
	{"unused template volume", tmplField("volumes", "[{name: v, emptyDir: {}}]"), SeverityWarning, "spec.templates[0].volumes[0]", `volume "v" is ignored: no step mounts it`},

	// Fields whose loss changes the outcome: errors.
	{"resource template", wfWith("  templates:\n  - name: main\n    resource: {action: create, manifest: x}\n"), SeverityError, "spec.templates[0].resource",
		`resource templates need Kubernetes: template "main" would create an object`},
	{"plugin template", wfWith("  templates:\n  - name: main\n    plugin: {hello: {}}\n"), SeverityError, "spec.templates[0].plugin",
		`plugin templates need Kubernetes: template "main" would run in Argo's agent pod`},
	{"data source in an s3 bucket", wfWith("  templates:\n  - name: main\n    data: {source: {artifactPaths: {name: a, s3: {bucket: b}}}}\n"), SeverityError,
		"spec.templates[0].data.source.artifactPaths.s3", `data template "main" lists s3 with an endpoint or bucket of its own, which semaflow does not support yet`},
	{"data source in git", wfWith("  templates:\n  - name: main\n    data: {source: {artifactPaths: {name: a, git: {repo: 'https://x'}}}}\n"), SeverityError,
		"spec.templates[0].data.source.artifactPaths.git", `data template "main" cannot list a git artifact`},
	{"daemon readinessProbe exec", wfWith("  templates:\n  - name: main\n    daemon: true\n    container: {image: a, command: [serve], readinessProbe: {exec: {command: [ok]}}}\n"),
		SeverityWarning, "spec.templates[0].container.readinessProbe.exec", "readinessProbe.exec is ignored: only httpGet and tcpSocket probes are made"},
	{"hostPath volume", volWith("{name: w, hostPath: {path: /data}}", "{name: w, mountPath: /mnt/w}"),
		SeverityError, "spec.volumes[0].hostPath", `hostPath volumes are not supported by semaflow: volume "w" would give steps a directory of the host`},
	{"configMap volume", volWith("{name: w, configMap: {name: c}}", "{name: w, mountPath: /mnt/w}"),
		SeverityError, "spec.volumes[0].configMap", `configMap volumes are not supported by semaflow yet: volume "w" would be an empty directory`},
	{"nfs volume", volWith("{name: w, nfs: {server: s, path: /}}", "{name: w, mountPath: /mnt/w}"),
		SeverityError, "spec.volumes[0].nfs", `nfs volumes are not supported by semaflow yet`},
	{"existing claim", volWith("{name: w, persistentVolumeClaim: {claimName: c}}", "{name: w, mountPath: /mnt/w}"),
		SeverityWarning, "spec.volumes[0].persistentVolumeClaim", `persistentVolumeClaim "c" is a directory of each workflow's own: what one workflow writes there, the next does not see`},
	{"mount of an undeclared volume", volWith("{name: w, emptyDir: {}}", "{name: x, mountPath: /mnt/x}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].name", `volume "x" is not declared (in volumes or volumeClaimTemplates)`},
	{"mount at /", volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].mountPath", `mountPath "/" for volume "w": must be an absolute path below /`},
	{"mount under /proc", volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /proc/x}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].mountPath", `mountPath "/proc/x" for volume "w": it lies under /proc`},
	{"mount with ..", volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /a/../b}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].mountPath", `mountPath "/a/../b" for volume "w": must be an absolute path below /`},
	{"subPath with ..", volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /w, subPath: ../x}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].subPath", `subPath "../x" for volume "w": must be a relative path inside the volume`},
	{"subPathExpr", volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /w, subPathExpr: $(POD)}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].subPathExpr", `subPathExpr is not supported by semaflow yet`},
	{"gcs input artifact", tmplField("inputs", "{artifacts: [{name: in, path: /tmp/i, gcs: {key: k}}]}"), SeverityError, "spec.templates[0].inputs.artifacts[0].gcs",
		`input artifacts from gcs are not supported by semaflow yet: "in" would not be fetched, so /tmp/i would be missing; raw, s3, http, git and other steps' artifacts are delivered`},
	{"env valueFrom", ctrField("env", "[{name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: k}}}]"), SeverityError, "spec.templates[0].container.env[0].valueFrom",
		`env valueFrom is not supported by semaflow yet: TOKEN would be empty`},
	{"envFrom", ctrField("envFrom", "[{configMapRef: {name: c}}]"), SeverityError, "spec.templates[0].container.envFrom",
		`envFrom is not supported by semaflow yet: the variables it names would be missing`},
	{"too many initContainers", tmplField("initContainers", "[{name: c0, image: a, command: [x]}, {name: c1, image: a, command: [x]}, {name: c2, image: a, command: [x]}, {name: c3, image: a, command: [x]}, {name: c4, image: a, command: [x]}, {name: c5, image: a, command: [x]}, {name: c6, image: a, command: [x]}, {name: c7, image: a, command: [x]}, {name: c8, image: a, command: [x]}, {name: c9, image: a, command: [x]}, {name: c10, image: a, command: [x]}, {name: c11, image: a, command: [x]}, {name: c12, image: a, command: [x]}, {name: c13, image: a, command: [x]}, {name: c14, image: a, command: [x]}, {name: c15, image: a, command: [x]}, {name: c16, image: a, command: [x]}]"), SeverityError, "spec.templates[0].initContainers",
		`template "main" has 17 initContainers: semaflow runs at most 16 per template`},
	{"too many sidecars", tmplField("sidecars", "[{name: c0, image: a, command: [x]}, {name: c1, image: a, command: [x]}, {name: c2, image: a, command: [x]}, {name: c3, image: a, command: [x]}, {name: c4, image: a, command: [x]}, {name: c5, image: a, command: [x]}, {name: c6, image: a, command: [x]}, {name: c7, image: a, command: [x]}, {name: c8, image: a, command: [x]}, {name: c9, image: a, command: [x]}, {name: c10, image: a, command: [x]}, {name: c11, image: a, command: [x]}, {name: c12, image: a, command: [x]}, {name: c13, image: a, command: [x]}, {name: c14, image: a, command: [x]}, {name: c15, image: a, command: [x]}, {name: c16, image: a, command: [x]}]"), SeverityError, "spec.templates[0].sidecars",
		`template "main" has 17 sidecars: semaflow runs at most 16 per template`},
	{"a sidecar's own container field", tmplField("sidecars", "[{name: db, image: a, command: [x], tty: true}]"), SeverityWarning,
		"spec.templates[0].sidecars[0].tty", container},

	// Where the fields are found: inline templates and template defaults.
	{"inline template", wfWith("  templates:\n  - name: main\n    steps:\n    - - name: s\n        inline: {nodeSelector: {a: b}, container: {image: a, command: [echo]}}\n"),
		SeverityWarning, "spec.templates[0].steps[0][0].inline.nodeSelector", node},
	{"templateDefaults", wfWith("  templateDefaults: {container: {resources: {limits: {cpu: 1}}}}\n" + mainTmpl),
		SeverityWarning, "spec.templateDefaults.container.resources", resources},
}

func TestUnhonouredFields(t *testing.T) {
	for _, tc := range unhonouredCases {
		t.Run(tc.name, func(t *testing.T) {
			ds := lintString(t, tc.src)
			if !hasDiag(ds, tc.sev, tc.path, tc.says) {
				t.Fatalf("want %s at %s saying %q, got:\n%s", tc.sev, tc.path, tc.says, ds.Error())
			}
			for _, d := range ds {
				if d.Path == tc.path && !d.Unhonoured {
					t.Errorf("not marked unhonoured: %s", d)
				}
			}
			errs, _ := ds.Count()
			if tc.sev == SeverityWarning && errs > 0 {
				t.Errorf("a warning case gives errors:\n%s", ds.Error())
			}
		})
	}
}

// Every field of the rule tables has a case above, so a field added to
// them comes with its message tested.
func TestUnhonouredRulesAreAllTested(t *testing.T) {
	tested := map[string]bool{}
	for _, tc := range unhonouredCases {
		tested[tc.path] = true
	}
	for _, r := range specRules {
		if !tested["spec."+r.field] {
			t.Errorf("spec.%s has no case", r.field)
		}
	}
	for _, r := range templateRules {
		if !tested["spec.templates[0]."+r.field] {
			t.Errorf("template field %s has no case", r.field)
		}
	}
	for _, r := range containerRules {
		if !tested["spec.templates[0].container."+r.field] {
			t.Errorf("container field %s has no case", r.field)
		}
	}
}

// Fields that are honoured, or set but empty, say nothing.
func TestHonouredFieldsAreQuiet(t *testing.T) {
	for name, src := range map[string]string{
		"raw input artifact":                   tmplField("inputs", "{artifacts: [{name: in, path: /tmp/i, raw: {data: hi}}]}"),
		"optional input with no location":      tmplField("inputs", "{artifacts: [{name: in, path: /tmp/i, optional: true}]}"),
		"output artifact":                      tmplField("outputs", "{artifacts: [{name: out, path: /tmp/o}, {name: d, path: /tmp/d, archive: {none: {}}, optional: true}]}"),
		"s3 input artifact":                    tmplField("inputs", "{artifacts: [{name: in, path: /tmp/i, s3: {key: k}}]}"),
		"s3 with a bucket, input and output":   tmplField("inputs", "{artifacts: [{name: in, path: /tmp/i, s3: {endpoint: 'e:9000', bucket: b, key: k}}]}\n    outputs: {artifacts: [{name: o, path: /tmp/o, s3: {bucket: b, key: k2}}]}"),
		"git input artifact":                   tmplField("inputs", "{artifacts: [{name: src, path: /src, git: {repo: 'https://x'}}]}"),
		"http input artifact":                  tmplField("inputs", "{artifacts: [{name: f, path: /f, http: {url: 'https://x'}}]}"),
		"artifactRepositoryRef and artifactGC": wfWith("  artifactRepositoryRef: {configMap: repos, key: a}\n  artifactGC: {strategy: OnWorkflowDeletion, forceFinalizerRemoval: true}\n" + mainTmpl),
		"key-only s3 input and output":         tmplField("inputs", "{artifacts: [{name: in, path: /tmp/i, s3: {key: k}}]}\n    outputs: {artifacts: [{name: o, path: /tmp/o, s3: {key: k2}}]}"),
		"archiveLogs":                          specField("archiveLogs", "true"),
		"archiveLocation":                      tmplField("archiveLocation", "{archiveLogs: true}"),
		"input artifact from another step":     tmplField("inputs", "{artifacts: [{name: f, path: /f, from: x}]}"),
		"workflow artifact argument":           specField("arguments", "{artifacts: [{name: a, raw: {data: x}}]}"),
		"step and task artifact arguments": wfWith("  templates:\n  - name: main\n    steps:\n    - - name: s\n        template: c\n        arguments: {artifacts: [{name: a, from: '{{steps.x.outputs.artifacts.y}}'}]}\n" +
			"  - name: d\n    dag:\n      tasks:\n      - name: t\n        template: c\n        arguments: {artifacts: [{name: a, fromExpression: 'tasks.x.outputs.artifacts.y', subPath: b}]}\n" +
			"  - {name: c, inputs: {artifacts: [{name: a, path: /tmp/a}]}, container: {image: a, command: [echo]}}\n"),
		"empty resources and metadata":    wfWith("  templates:\n  - name: main\n    metadata: {}\n    container: {image: a, command: [echo], resources: {}}\n"),
		"memoize (works since h-memo)":    tmplField("memoize", "{key: k, maxAge: 1h, cache: {configMap: {name: c}}}"),
		"env values":                      ctrField("env", "[{name: A, value: b}]"),
		"a daemon (works since h-daemon)": tmplField("daemon", "true"),
		"a daemon's http readinessProbe":  wfWith("  templates:\n  - name: main\n    daemon: true\n    container: {image: a, command: [serve], readinessProbe: {httpGet: {path: /, port: 80}, initialDelaySeconds: 1}}\n"),
		"a daemon's tcp readinessProbe":   wfWith("  templates:\n  - name: main\n    daemon: true\n    container: {image: a, command: [serve], readinessProbe: {tcpSocket: {port: 80}}}\n"),
		"initContainers and sidecars":     tmplField("initContainers", "[{name: prep, image: a, command: [x], mirrorVolumeMounts: true}]\n    sidecars: [{name: db, image: a, command: [y], mirrorVolumeMounts: true}]"),
		"data templates": wfWith("  templates:\n  - name: main\n    data: {source: {artifactPaths: {name: a, s3: {key: k}}}, transformation: [{expression: data}]}\n" +
			"  - name: d\n    inputs: {artifacts: [{name: f}]}\n    data: {source: {artifactPaths: {name: f, from: '{{inputs.artifacts.f}}'}}}\n"),
		"honoured spec fields": wfWith("  parallelism: 2\n  activeDeadlineSeconds: 60\n  ttlStrategy: {secondsAfterCompletion: 10}\n" +
			"  priority: 1\n  onExit: main\n" + mainTmpl),
		"an absent optional input passed on": wfWith("  templates:\n  - name: main\n    inputs: {artifacts: [{name: f, optional: true}]}\n" +
			"    steps:\n    - - name: s\n        template: c\n        arguments: {artifacts: [{name: f, from: '{{inputs.artifacts.f}}'}]}\n" +
			"  - {name: c, inputs: {artifacts: [{name: f, optional: true, path: /tmp/f}]}, container: {image: a, command: [echo]}}\n"),
		"a mounted volume is not also unused": wfWith("  volumes: [{name: w, emptyDir: {}}]\n  templates:\n  - name: main\n    container: {image: a, command: [echo], volumeMounts: [{name: w, mountPath: /w}]}\n"),
		"emptyDir, subPath and readOnly":      volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /w, subPath: a/b, readOnly: true}"),
		"a volume claim template": wfWith("  volumeClaimTemplates: [{metadata: {name: work}, spec: {accessModes: [ReadWriteOnce]}}]\n  templates:\n  - name: main\n" +
			"    container: {image: a, command: [echo], volumeMounts: [{name: work, mountPath: /mnt/work}]}\n"),
		"a template's own volume": wfWith("  templates:\n  - name: main\n    volumes: [{name: w, emptyDir: {}}]\n" +
			"    container: {image: a, command: [echo], volumeMounts: [{name: w, mountPath: /mnt/w}]}\n"),
		"a containerSet's mounts": wfWith("  templates:\n  - name: main\n    volumes: [{name: w, emptyDir: {}}]\n" +
			"    containerSet: {volumeMounts: [{name: w, mountPath: /ws}], containers: [{name: main, image: a, command: [echo]}]}\n"),
	} {
		t.Run(name, func(t *testing.T) {
			ds := lintString(t, src)
			for _, d := range ds {
				if strings.Contains(d.Message, "is ignored") || strings.Contains(d.Message, "not supported") {
					t.Errorf("unexpected: %s", d)
				}
			}
		})
	}
}

// A warning points at the field's name, on its own line.
func TestUnhonouredPointsAtTheField(t *testing.T) {
	ds := lintString(t, wfWith("  nodeSelector:\n    disk: ssd\n"+mainTmpl))
	for _, d := range ds {
		if d.Path == "spec.nodeSelector" {
			if d.Pos.Line != 7 || d.Pos.Col != 3 {
				t.Fatalf("at %d:%d, want 7:3 (the key): %s", d.Pos.Line, d.Pos.Col, d)
			}
			return
		}
	}
	t.Fatalf("no warning for spec.nodeSelector:\n%s", ds.Error())
}

// The fields of a CronWorkflow's workflowSpec are named as such.
func TestUnhonouredInCronWorkflow(t *testing.T) {
	ds := lintString(t, `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: c}
spec:
  schedules: ["0 * * * *"]
  workflowSpec:
    entrypoint: main
    serviceAccountName: sa
    templates:
    - {name: main, container: {image: a, command: [echo]}}
`)
	if !hasDiag(ds, SeverityWarning, "spec.workflowSpec.serviceAccountName", account) {
		t.Fatalf("got:\n%s", ds.Error())
	}
}

// The fields are listed with the argo CLI flag that sets one, for the
// server's Warning header.
func TestUnhonouredFieldsFlag(t *testing.T) {
	f := Parse("t.yaml", []byte(specField("serviceAccountName", "sa")), Options{})
	us := UnhonouredFields(f.Docs[0])
	if len(us) != 1 || us[0].Path != "spec.serviceAccountName" || us[0].Flag != "argo submit --serviceaccount" {
		t.Fatalf("got %+v", us)
	}
}

// Artifact path placeholders name an artifact the template declares:
// `.path` is the path, not part of the artifact's name.
func TestArtifactPathPlaceholders(t *testing.T) {
	tmpl := func(cmd string) string {
		return wfWith("  templates:\n  - name: main\n    inputs: {artifacts: [{name: text, path: /tmp/t}, {name: a.b, path: /tmp/ab}]}\n" +
			"    outputs: {artifacts: [{name: out, path: /tmp/o}]}\n    container: {image: a, command: [sh, -c, '" + cmd + "']}\n")
	}
	for _, tc := range []struct {
		name, cmd, says string
	}{
		{"input path", "cat {{inputs.artifacts.text.path}}", ""},
		{"dotted name's path", "cat {{inputs.artifacts.a.b.path}}", ""},
		{"output path", "echo > {{outputs.artifacts.out.path}}", ""},
		{"undeclared input", "cat {{inputs.artifacts.nope.path}}", `refers to input artifact "nope", which template "main" does not declare`},
		{"undeclared output", "cat {{outputs.artifacts.nope.path}}", `refers to output artifact "nope", which template "main" does not declare`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := lintString(t, tmpl(tc.cmd))
			errs, _ := ds.Count()
			switch {
			case tc.says == "" && errs > 0:
				t.Fatalf("want no error, got:\n%s", ds.Error())
			case tc.says != "" && !strings.Contains(ds.Error(), tc.says):
				t.Fatalf("want %q, got:\n%s", tc.says, ds.Error())
			}
		})
	}
}
