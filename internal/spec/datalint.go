package spec

import (
	"fmt"
	"strconv"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/expr"
)

// checkData reports what Argo refuses in a data template (no source, an
// empty or broken expression, a source naming no artifact) and a source
// semaflow cannot list: only its own repository is listed, by an s3
// key: or by from/fromExpression naming a stored artifact.
func checkData(d *Document, path string, t *wfv1.Template) {
	path += ".data"
	dt, err := ParseDataTemplate(t.Data)
	if err != nil {
		d.errorAt(path, "%v", err)
		return
	}
	for i, code := range dt.Expressions {
		if err := expr.Check(code); err != nil {
			d.errorAt(fmt.Sprintf("%s.transformation[%d].expression", path, i), "%v", err)
		}
	}
	src := path + ".source.artifactPaths"
	a := &dt.ArtifactPaths
	kind := artifactSource(a)
	name := strconv.Quote(t.Name)
	unhonoured := func(p, format string, args ...any) {
		d.addDiag(Diagnostic{Pos: d.KeyPos(p), Path: p, Severity: SeverityError, Unhonoured: true, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case kind == "":
		d.errorAt(src, "data template %s: data.source.artifactPaths names no artifact to list: give from, fromExpression or s3.key", name)
	case kind == "from":
	case kind == "s3" && (a.S3.Endpoint != "" || a.S3.Bucket != ""):
		unhonoured(src+".s3", "data template %s lists s3 with an endpoint or bucket of its own, which semaflow does not support yet: "+
			"give only key: to list semaflow's artifact repository", name)
	case kind == "s3":
	default:
		unhonoured(src+"."+kind, "data template %s cannot list a %s artifact: semaflow lists only its artifact repository "+
			"(s3 with only key:, or from/fromExpression naming a stored artifact)", name, kind)
	}
}
