package spec

import "testing"

// daemonWith is a workflow whose main steps run d, a daemon template
// whose container has the extra fields ctr.
func daemonWith(ctr string) string {
	return wfWith("  templates:\n  - name: main\n    steps:\n    - - {name: d, template: d}\n" +
		"  - name: d\n    daemon: true\n    container:\n      image: a\n      command: [x]\n      " + ctr + "\n")
}

// podWith is a workflow whose template main has the fields extra beside
// its container.
func podWith(extra string) string {
	return wfWith("  templates:\n  - name: main\n    " + extra + "\n    container: {image: a, command: [echo]}\n")
}

var long = func() string {
	b := make([]byte, 300)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}()

var hostileVolumeCases = []unhonouredCase{
	// 1: inputs where a step cannot have a file of its own.
	{"raw input under /dev/shm", tmplField("inputs", "{artifacts: [{name: r, path: /dev/shm/x, raw: {data: x}}]}"),
		SeverityError, "spec.templates[0].inputs.artifacts[0].path", `input artifact "r": path /dev/shm/x lies under /dev`},
	{"input under /proc", tmplField("inputs", "{artifacts: [{name: r, path: /proc/x}]}"),
		SeverityError, "spec.templates[0].inputs.artifacts[0].path", `input artifact "r": path /proc/x lies under /proc`},
	// 2: semaflow's own paths in the step.
	{"mount at /tmp/.semaflow", volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /tmp/.semaflow}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].mountPath", `mountPath "/tmp/.semaflow" for volume "w": semaflow's own`},
	{"mount under /tmp/.semaflow", volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /tmp/.semaflow/bin}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].mountPath", `for volume "w": semaflow's own`},
	// 4: emptyDir and claim fields.
	{"emptyDir sizeLimit", volWith("{name: w, emptyDir: {sizeLimit: 1Mi}}", "{name: w, mountPath: /w}"),
		SeverityWarning, "spec.volumes[0].emptyDir.sizeLimit", `volume "w"`},
	{"emptyDir medium", volWith("{name: w, emptyDir: {medium: HugePages}}", "{name: w, mountPath: /w}"),
		SeverityWarning, "spec.volumes[0].emptyDir.medium", `volume "w"`},
	{"emptyDir sizeLimit not a quantity", volWith("{name: w, emptyDir: {medium: Memory, sizeLimit: lots}}", "{name: w, mountPath: /w}"),
		SeverityError, "spec.volumes[0].emptyDir.sizeLimit", `volume "w": lots`},
	{"claim storage request", wfWith("  volumeClaimTemplates: [{metadata: {name: c}, spec: {resources: {requests: {storage: 1Gi}}}}]\n" +
		"  templates:\n  - name: main\n    container: {image: a, command: [echo], volumeMounts: [{name: c, mountPath: /c}]}\n"),
		SeverityWarning, "spec.volumeClaimTemplates[0].spec.resources.requests.storage", `not enforced`},
	// 5: a daemon as an exit handler or hook never ends.
	{"daemon as a step's onExit", wfWith("  templates:\n  - name: main\n    steps:\n    - - {name: a, template: t, onExit: d}\n" +
		"  - name: t\n    container: {image: a, command: [x]}\n  - name: d\n    daemon: true\n    container: {image: a, command: [x]}\n"),
		SeverityError, "spec.templates[0].steps[0][0].onExit", `daemon template "d"`},
	{"daemon as a hook", wfWith("  templates:\n  - name: main\n    steps:\n    - - name: a\n        template: t\n        hooks: {running: {expression: 'true', template: d}}\n" +
		"  - name: t\n    container: {image: a, command: [x]}\n  - name: d\n    daemon: true\n    container: {image: a, command: [x]}\n"),
		SeverityError, "spec.templates[0].steps[0][0].hooks.running.template", `daemon template "d"`},
	{"daemon as the workflow's onExit", wfWith("  onExit: d\n  templates:\n  - name: main\n    container: {image: a, command: [x]}\n" +
		"  - name: d\n    daemon: true\n    container: {image: a, command: [x]}\n"),
		SeverityError, "spec.onExit", `daemon template "d"`},
	{"daemon as a dag task's onExit", wfWith("  templates:\n  - name: main\n    dag: {tasks: [{name: a, template: t, onExit: d}]}\n" +
		"  - name: t\n    container: {image: a, command: [x]}\n  - name: d\n    daemon: true\n    container: {image: a, command: [x]}\n"),
		SeverityError, "spec.templates[0].dag.tasks[0].onExit", `daemon template "d"`},
	// 7: readinessProbe fields.
	{"probe host", daemonWith("readinessProbe: {httpGet: {host: example.com, port: 80}}"),
		SeverityWarning, "spec.templates[1].container.readinessProbe.httpGet.host", "127.0.0.1"},
	{"probe Host header", daemonWith("readinessProbe: {httpGet: {port: 80, httpHeaders: [{name: Host, value: x}]}}"),
		SeverityWarning, "spec.templates[1].container.readinessProbe.httpGet.httpHeaders[0]", "Host"},
	{"probe port out of range", daemonWith("readinessProbe: {tcpSocket: {port: 70000}}"),
		SeverityError, "spec.templates[1].container.readinessProbe.tcpSocket.port", "1 to 65535"},
	{"probe negative period", daemonWith("readinessProbe: {tcpSocket: {port: 80}, periodSeconds: -1}"),
		SeverityWarning, "spec.templates[1].container.readinessProbe.periodSeconds", "1 to 86400"},
	{"probe huge delay", daemonWith("readinessProbe: {tcpSocket: {port: 80}, initialDelaySeconds: 99999999}"),
		SeverityWarning, "spec.templates[1].container.readinessProbe.initialDelaySeconds", "1 to 86400"},
	// 8: container names.
	{"init container name not DNS-1123", podWith("initContainers: [{name: ../x, image: a, command: [x]}]"),
		SeverityError, "spec.templates[0].initContainers[0].name", "DNS-1123"},
	{"sidecar named main", podWith("sidecars: [{name: main, image: a, command: [x]}]"),
		SeverityError, "spec.templates[0].sidecars[0].name", `"main" is reserved`},
	{"sidecar named wait", podWith("sidecars: [{name: wait, image: a, command: [x]}]"),
		SeverityError, "spec.templates[0].sidecars[0].name", `"wait" is reserved`},
	{"duplicate container names", podWith("initContainers: [{name: s, image: a, command: [x]}]\n    sidecars: [{name: s, image: a, command: [x]}]"),
		SeverityError, "spec.templates[0].sidecars[0].name", `"s" is used by`},
	// 9: volume names.
	{"duplicate volume names", wfWith("  volumes: [{name: x, emptyDir: {}}, {name: x, emptyDir: {}}]\n" +
		"  templates:\n  - name: main\n    container: {image: a, command: [echo], volumeMounts: [{name: x, mountPath: /x}]}\n"),
		SeverityError, "spec.volumes[1].name", `volume "x" is declared twice`},
	{"volume named like a claim template", wfWith("  volumes: [{name: x, emptyDir: {}}]\n  volumeClaimTemplates: [{metadata: {name: x}}]\n" +
		"  templates:\n  - name: main\n    container: {image: a, command: [echo], volumeMounts: [{name: x, mountPath: /x}]}\n"),
		SeverityError, "spec.volumeClaimTemplates[0].metadata.name", `volume "x" is declared twice`},
	{"volume name not DNS-1123", volWith("{name: ../../x, emptyDir: {}}", "{name: ../../x, mountPath: /w}"),
		SeverityError, "spec.volumes[0].name", "DNS-1123"},
	{"claimName with ..", volWith("{name: w, persistentVolumeClaim: {claimName: ../../etc}}", "{name: w, mountPath: /w}"),
		SeverityError, "spec.volumes[0].persistentVolumeClaim.claimName", "DNS-1123"},
	// 11: mountPath length.
	{"mountPath component too long", volWith("{name: w, emptyDir: {}}", "{name: w, mountPath: /"+long+"}"),
		SeverityError, "spec.templates[0].container.volumeMounts[0].mountPath", `for volume "w": a name in it is longer than 255 bytes`},
}

// Findings of a hostile review of volumes, inputs, daemons and pod
// containers: each is reported at its field, naming what it concerns.
func TestHostileVolumeLint(t *testing.T) {
	for _, tc := range hostileVolumeCases {
		t.Run(tc.name, func(t *testing.T) {
			ds := lintString(t, tc.src)
			if !hasDiag(ds, tc.sev, tc.path, tc.says) {
				t.Fatalf("want %s at %s saying %q, got:\n%s", tc.sev, tc.path, tc.says, ds.Error())
			}
			errs, _ := ds.Count()
			if tc.sev == SeverityWarning && errs > 0 {
				t.Errorf("a warning case gives errors:\n%s", ds.Error())
			}
		})
	}
}

// An emptyDir of medium Memory with a sizeLimit is made (a tmpfs of
// that size): lint says nothing of it.
func TestMemoryEmptyDirIsQuiet(t *testing.T) {
	ds := lintString(t, volWith("{name: w, emptyDir: {medium: Memory, sizeLimit: 1Mi}}", "{name: w, mountPath: /w}"))
	for _, d := range ds {
		if d.Path == "spec.volumes[0].emptyDir.medium" || d.Path == "spec.volumes[0].emptyDir.sizeLimit" {
			t.Errorf("%s", d)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[any]int64{"1Mi": 1 << 20, "500M": 500e6, "1073741824": 1 << 30, 2048.0: 2048, "1.5Ki": 1536} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%v) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []any{"", "0", "-1Mi", "lots", "1Zi", "NaN", true} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%v) took it", in)
		}
	}
}
