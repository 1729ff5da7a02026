package wfv1

// Container is a process to run: Kubernetes' core/v1 Container as Argo
// embeds it. Locally, image is recorded and command+args are executed.
type Container struct {
	Name                     string                `json:"name,omitempty"`
	Image                    string                `json:"image,omitempty"`
	Command                  []string              `json:"command,omitempty"`
	Args                     []string              `json:"args,omitempty"`
	WorkingDir               string                `json:"workingDir,omitempty"`
	Ports                    []Object              `json:"ports,omitempty"`
	EnvFrom                  []Object              `json:"envFrom,omitempty"`
	Env                      []EnvVar              `json:"env,omitempty"`
	Resources                *ResourceRequirements `json:"resources,omitempty"`
	ResizePolicy             []Object              `json:"resizePolicy,omitempty"`
	RestartPolicy            string                `json:"restartPolicy,omitempty"`
	RestartPolicyRules       []Object              `json:"restartPolicyRules,omitempty"`
	VolumeMounts             []VolumeMount         `json:"volumeMounts,omitempty"`
	VolumeDevices            []Object              `json:"volumeDevices,omitempty"`
	LivenessProbe            Object                `json:"livenessProbe,omitempty"`
	ReadinessProbe           Object                `json:"readinessProbe,omitempty"`
	StartupProbe             Object                `json:"startupProbe,omitempty"`
	Lifecycle                Object                `json:"lifecycle,omitempty"`
	TerminationMessagePath   string                `json:"terminationMessagePath,omitempty"`
	TerminationMessagePolicy string                `json:"terminationMessagePolicy,omitempty"`
	ImagePullPolicy          string                `json:"imagePullPolicy,omitempty"`
	SecurityContext          Object                `json:"securityContext,omitempty"`
	Stdin                    bool                  `json:"stdin,omitempty"`
	StdinOnce                bool                  `json:"stdinOnce,omitempty"`
	TTY                      bool                  `json:"tty,omitempty"`
	MirrorVolumeMounts       *bool                 `json:"mirrorVolumeMounts,omitempty"`
}

// ScriptTemplate is a container whose program text is given inline.
type ScriptTemplate struct {
	Container `json:",inline"`
	Source    string `json:"source"`
}

// ContainerSetTemplate runs several containers that share a workspace.
type ContainerSetTemplate struct {
	Containers    []ContainerNode            `json:"containers"`
	VolumeMounts  []VolumeMount              `json:"volumeMounts,omitempty"`
	RetryStrategy *ContainerSetRetryStrategy `json:"retryStrategy,omitempty"`
}

// ContainerNode is one container of a container set.
type ContainerNode struct {
	Container    `json:",inline"`
	Dependencies []string `json:"dependencies,omitempty"`
}

// ContainerSetRetryStrategy retries the containers of a set.
type ContainerSetRetryStrategy struct {
	Duration string       `json:"duration,omitempty"`
	Retries  *IntOrString `json:"retries"`
}

// EnvVar is one environment variable of a step.
type EnvVar struct {
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"`
	ValueFrom Object `json:"valueFrom,omitempty"`
}

// ResourceRequirements are CPU/memory requests and limits (recorded only).
type ResourceRequirements struct {
	Limits   map[string]Quantity `json:"limits,omitempty"`
	Requests map[string]Quantity `json:"requests,omitempty"`
	Claims   []Object            `json:"claims,omitempty"`
}

// Volume is a named volume; locally emptyDir maps to a per-workflow directory.
type Volume struct {
	Name                  string `json:"name"`
	EmptyDir              Object `json:"emptyDir,omitempty"`
	HostPath              Object `json:"hostPath,omitempty"`
	ConfigMap             Object `json:"configMap,omitempty"`
	Secret                Object `json:"secret,omitempty"`
	PersistentVolumeClaim Object `json:"persistentVolumeClaim,omitempty"`
	Projected             Object `json:"projected,omitempty"`
	DownwardAPI           Object `json:"downwardAPI,omitempty"`
	Ephemeral             Object `json:"ephemeral,omitempty"`
	NFS                   Object `json:"nfs,omitempty"`
	CSI                   Object `json:"csi,omitempty"`
	Image                 Object `json:"image,omitempty"`
}

// VolumeMount mounts a volume into a step.
type VolumeMount struct {
	Name             string `json:"name"`
	MountPath        string `json:"mountPath"`
	ReadOnly         bool   `json:"readOnly,omitempty"`
	SubPath          string `json:"subPath,omitempty"`
	SubPathExpr      string `json:"subPathExpr,omitempty"`
	MountPropagation string `json:"mountPropagation,omitempty"`
}
