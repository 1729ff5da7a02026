#!/bin/bash
# Runs the argo commands of v4.1.2.jsonl through record.go (README.md):
#   ARGO=/tmp/argo-cli/argo RECORDER=127.0.0.1:2757 STEP=/tmp/step ./record.sh
# The CLI's output goes to $OUT (default /tmp/argocli-record.log).
set -u
cd "$(dirname "$0")/manifests"
export ARGO_SERVER=${RECORDER:-127.0.0.1:2757} ARGO_HTTP1=true ARGO_SECURE=false ARGO_NAMESPACE=default ARGO_TOKEN="Bearer x" KUBECONFIG=/dev/null
A=${ARGO:-/tmp/argo-cli/argo}
STEP=${STEP:-/tmp/step}
out=${OUT:-/tmp/argocli-record.log}
: > "$out"
# A 10 MB parameter file (refused: the server reads at most 4 MB).
big=$(mktemp)
trap 'rm -f "$big"' EXIT
python3 -c "print('who: \"' + 'x'*(10<<20) + '\"')" > "$big"
# r STEP ARGS...: runs argo ARGS as step STEP; the output goes to $out.
r() {
  local step=$1; shift
  printf '%s\nargo %s\n' "$step" "$*" > "$STEP"
  echo "=== $step: argo $*" >> "$out"
  timeout 60 $A "$@" >> "$out" 2>&1
  echo "--- exit $?" >> "$out"
}
# n STEP ARGS...: as r, printing argo's output (a name) on stdout too.
n() {
  local step=$1; shift
  printf '%s\nargo %s\n' "$step" "$*" > "$STEP"
  echo "=== $step: argo $*" >> "$out"
  local o; o=$(timeout 60 $A "$@" 2>>"$out"); local rc=$?
  echo "$o" >> "$out"; echo "--- exit $rc" >> "$out"
  echo "$o" | tail -1
}
# c STEP METHOD PATH: a request no argo command sends, with curl.
c() {
  printf '%s\ncurl -X %s %s (no argo command sends it)\n' "$1" "$2" "$3" > "$STEP"
  echo "=== $1: curl $2 $3" >> "$out"
  curl -s -X "$2" -H "Authorization: Bearer x" "http://$ARGO_SERVER$3" >> "$out"; echo >> "$out"
}

r version version
r lint-ok lint hello.yaml
r lint-bad lint bad.yaml
r latest-empty get @latest
r logs-latest-empty logs @latest

# templates, cluster templates, cron workflows
r template-create template create wft.yaml
r template-get template get greet
r template-get-yaml template get greet -o yaml
r template-list template list
r template-lint template lint wft.yaml
r template-lint-bad template lint badwft.yaml
r template-update template update wft2.yaml
r template-get-updated template get greet -o json
r ctemplate-create cluster-template create cwft.yaml
r ctemplate-get cluster-template get shared
r ctemplate-list cluster-template list
r ctemplate-lint cluster-template lint cwft.yaml
r ctemplate-lint-bad cluster-template lint badcwft.yaml
r ctemplate-update cluster-template update cwft2.yaml
r ctemplate-get-updated cluster-template get shared -o json
r cron-create cron create cron.yaml
r cron-get cron get nightly
r cron-list cron list
r cron-lint cron lint cron.yaml
r cron-lint-bad cron lint badcron.yaml
r cron-update cron update cron2.yaml
r cron-get-updated cron get nightly -o json
r cron-resume cron resume nightly
r cron-suspend cron suspend nightly

# submit
H1=$(n submit submit hello.yaml -o name)
r submit-wait submit hello.yaml --wait
r submit-watch submit hello.yaml --watch
r submit-log submit hello.yaml --log
r submit-opts submit hello.yaml -p who=you --entrypoint alt --priority 3 --generate-name hi- -l x=y --wait -o json
r submit-param-file submit hello.yaml --parameter-file params.yaml --name named1 --wait -o yaml
r submit-dry-run submit hello.yaml --dry-run -o name
r submit-server-dry-run submit hello.yaml --server-dry-run -o name
r submit-serviceaccount submit hello.yaml --serviceaccount sa1 --wait -o name
r list-after-dry-runs list -o name

# submit --from
r from-wft submit --from workflowtemplate/greet -p who=x --wait
r from-cwft submit --from clusterworkflowtemplate/shared -p who=y --wait
r from-cron submit --from cronwf/nightly -p who=z --wait
r from-opts submit --from workflowtemplate/greet --entrypoint alt --name fixed -l a=b --priority 5 -p who=opts --wait
r from-param-file submit --from wftmpl/greet --parameter-file params.yaml --wait -o name
r from-server-dry-run submit --from workflowtemplate/greet --server-dry-run -o name
r from-get-fixed get fixed -o json
r latest-get get @latest
r latest-logs logs @latest
r setup-other-ns template create wft.yaml -n other
r hostile-from-other-ns submit --from workflowtemplate/greet -n default2
r hostile-from-missing submit --from workflowtemplate/missing
r hostile-from-missing-cron submit --from cronwf/missing
r hostile-from-bad-kind submit --from pod/x
r hostile-param-file submit --from workflowtemplate/greet --parameter-file "$big"

# get
r get get "$H1"
r get-json get "$H1" -o json
r get-yaml get "$H1" -o yaml
r get-wide get "$H1" -o wide
r get-name get "$H1" -o name
r get-status get "$H1" --status Succeeded
r get-node-field-selector get "$H1" --node-field-selector phase=Succeeded
r get-missing get nosuch

# list
r list list
r list-all-namespaces list -A
r list-running list --running
r list-completed list --completed
r list-status list --status Succeeded
r list-label list -l team=a
r list-since list --since 1h
r list-older list --older 1h
r list-prefix list --prefix hello
r list-chunk-size list --chunk-size 2
r list-no-headers list --no-headers
r list-field-selector list --field-selector metadata.name=fixed
r list-name list -o name
r list-wide list -o wide

# logs
r logs logs "$H1"
r logs-tail logs "$H1" --tail 2
r logs-since logs "$H1" --since 1h
r logs-since-time logs "$H1" --since-time 2030-01-01T00:00:00Z
r logs-timestamps logs "$H1" --timestamps
r logs-container logs "$H1" -c main
r logs-container-wait logs "$H1" -c wait
r logs-grep logs "$H1" --grep 'line 3'
r logs-no-color logs "$H1" --no-color
L1=$(n submit-loggy submit loggy.yaml -o name)
r logs-follow logs "$L1" -f
L2=$(n submit-loggy2 submit loggy.yaml -o name)
r watch watch "$L2"
r wait wait "$L2"
r wait-latest wait @latest
r watch-latest watch @latest

# stop, terminate, suspend, resume
S1=$(n submit-sleeper submit sleeper.yaml -o name)
r suspend suspend "$S1"
r get-suspended get "$S1" -o json
r resume resume "$S1"
r stop stop "$S1"
r wait-stopped wait "$S1"
S2=$(n submit-sleeper2 submit sleeper.yaml -o name)
r terminate terminate "$S2"
r wait-terminated wait "$S2"
S3=$(n submit-sleeper3 submit sleeper.yaml -o name)
r suspend-latest suspend @latest
r resume-latest resume @latest
r stop-latest stop @latest
r wait-latest-stopped wait "$S3"

# retry, resubmit, node set
r submit-flaky submit flaky.yaml --wait
r retry-p retry flaky -p fail=false --wait
r retry-restart retry flaky --restart-successful --node-field-selector displayName=ok --wait
r resubmit-p resubmit flaky -p fail=false --wait
r resubmit-memoized resubmit flaky --memoized
r submit-gate submit gate.yaml
r node-set-bad node set gate --output-parameter 'nope="x"' --node-field-selector displayName=approve
r node-set node set gate --output-parameter 'message="yes"' --message approved --node-field-selector displayName=approve
r node-set-phase node set gate --phase Succeeded --node-field-selector displayName=approve
r wait-gate wait gate
r logs-gate logs gate
r resubmit-latest resubmit @latest
r latest-other-ns get @latest -n nowhere

# sync limits, both types
r sync-create-db sync create dbkey --type database --limit 0
r sync-get-db sync get dbkey --type database
r sync-update-db sync update dbkey --type database --limit 1
r sync-get-db2 sync get dbkey --type database
r hostile-sync-neg sync update dbkey --type database --limit -1
r sync-get-db3 sync get dbkey --type database
r sync-delete-db sync delete dbkey --type database
r sync-create-cm sync create k --type configmap --cm-name limits --limit 2
r sync-get-cm sync get k --type configmap --cm-name limits
r sync-update-cm sync update k --type configmap --cm-name limits --limit 3
r sync-get-cm2 sync get k --type configmap --cm-name limits
r sync-delete-cm sync delete k --type configmap --cm-name limits
r sync-get-cm-gone sync get k --type configmap --cm-name limits

# cron backfill
r cron-backfill cron backfill nightly --name bf1 --start "Mon, 01 Jan 2024 00:00:00 UTC" --end "Wed, 03 Jan 2024 12:00:00 UTC"
sleep 3
r list-backfill list -l workflows.argoproj.io/backfill=nightly

# not supported
r archive-list archive list
r archive-get archive get 0b2c8a4e-0000-0000-0000-000000000000
r archive-delete archive delete 0b2c8a4e-0000-0000-0000-000000000000
r archive-list-label-keys archive list-label-keys
r archive-list-label-values archive list-label-values -l team
r archive-resubmit archive resubmit 0b2c8a4e-0000-0000-0000-000000000000
r archive-retry archive retry 0b2c8a4e-0000-0000-0000-000000000000
r cp cp "$H1" "$(mktemp -d)"
c artifact-file GET "/artifact-files/default/workflows/$H1/$H1/outputs/main-logs"
c event-sources GET /api/v1/event-sources/default
c sensors GET /api/v1/sensors/default
c events-post POST /api/v1/events/default/x

# delete
r delete-dry-run delete --all --dry-run
r delete delete "$H1"
r delete-label delete -l x=y
r delete-prefix delete --prefix named
r delete-status delete --status Failed
r delete-older delete --older 1h
r delete-completed delete --completed
r delete-latest delete @latest
r template-delete template delete greet
r ctemplate-delete cluster-template delete shared
r cron-delete cron delete nightly
r delete-all delete --all
r list-empty list
