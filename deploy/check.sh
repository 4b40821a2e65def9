#!/bin/sh
# deploy/check.sh - validate the deployment manifests offline (CI runs it).
#
#   1. docker-compose -f deploy/docker-compose.yml config -q
#   2. kubectl create --dry-run=client --validate=false -R -f deploy/kubernetes/
#   3. every MLSD/SLACK/DISCORD/REDIS variable named in deploy/ is read by cmd/mlsd
#
# Tools come from Debian: docker-compose (1.29) and kubernetes-client
# (kubectl 1.20). Missing ones are installed with apt-get (as root, after
# one apt-get update). A kubectl already on PATH is used as it is; set
# KUBECTL or DOCKER_COMPOSE to pick other binaries.
#
# Offline kubectl: `kubectl create --dry-run=client` still asks an API
# server's discovery endpoint which resource each kind is, and fails with
# "connection refused" when there is none. This script gives kubectl a
# throw-away kubeconfig whose server is 127.0.0.1:1 (nothing listens, so
# nothing leaks) and a discovery cache (--cache-dir) listing the built-in
# kinds below, written just before the run so it is fresh. kubectl reads
# the cache and never dials. A kind missing from the list fails with
# "unable to recognize ... connection refused": add it to DISCOVERY below if
# it is a real built-in kind (CRDs such as ServiceMonitor cannot be checked
# this way; keep them out of deploy/kubernetes/).
set -eu

cd "$(dirname "$0")/.."
started=$(date +%s)

log() { printf '%s\n' "check.sh: $*" >&2; }

# --- tools -----------------------------------------------------------------
DOCKER_COMPOSE=${DOCKER_COMPOSE:-docker-compose}
KUBECTL=${KUBECTL:-kubectl}
missing=""
command -v "$DOCKER_COMPOSE" >/dev/null 2>&1 || missing="$missing docker-compose"
# Debian ships kubectl in the kubernetes-client package (there is no
# "kubectl" package in Debian 12).
command -v "$KUBECTL" >/dev/null 2>&1 || missing="$missing kubernetes-client"
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		log "missing:$missing - install them (apt-get install$missing) or run as root"
		exit 1
	fi
	log "installing$missing from Debian"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	DOCKER_COMPOSE=docker-compose
	KUBECTL=kubectl
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# --- docker-compose ----------------------------------------------------------
# The compose file reads deploy/mlsd.env, which holds real tokens and is
# git-ignored. Without one (CI, a fresh clone) validate against the
# example: the same compose file, in a scratch copy of deploy/.
compose_file=deploy/docker-compose.yml
if [ ! -f deploy/mlsd.env ]; then
	mkdir "$tmp/deploy"
	cp deploy/docker-compose.yml "$tmp/deploy/"
	cp deploy/mlsd.env.example "$tmp/deploy/mlsd.env"
	cp Dockerfile "$tmp/" # the build context is ..
	compose_file=$tmp/deploy/docker-compose.yml
	log "deploy/mlsd.env absent: checking with deploy/mlsd.env.example"
fi
"$DOCKER_COMPOSE" -f "$compose_file" config -q
log "docker-compose config: ok"

# --- kubectl, offline --------------------------------------------------------
# group/version|resource:Kind:namespaced ...
DISCOVERY='
v1|namespaces:Namespace:false configmaps:ConfigMap:true secrets:Secret:true services:Service:true serviceaccounts:ServiceAccount:true persistentvolumeclaims:PersistentVolumeClaim:true pods:Pod:true limitranges:LimitRange:true resourcequotas:ResourceQuota:true
apps/v1|deployments:Deployment:true statefulsets:StatefulSet:true daemonsets:DaemonSet:true
batch/v1|jobs:Job:true cronjobs:CronJob:true
policy/v1|poddisruptionbudgets:PodDisruptionBudget:true
networking.k8s.io/v1|networkpolicies:NetworkPolicy:true ingresses:Ingress:true
autoscaling/v2|horizontalpodautoscalers:HorizontalPodAutoscaler:true
rbac.authorization.k8s.io/v1|roles:Role:true rolebindings:RoleBinding:true
'
kube=$tmp/kube
cache=$kube/cache/discovery/127.0.0.1_1
mkdir -p "$cache"
cat >"$kube/config" <<'EOF'
apiVersion: v1
kind: Config
clusters:
- name: offline
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: offline
  user: {token: offline}
contexts:
- name: offline
  context: {cluster: offline, user: offline, namespace: default}
current-context: offline
EOF
groups=""
echo "$DISCOVERY" | while IFS='|' read -r gv resources; do
	[ -n "$gv" ] || continue
	mkdir -p "$cache/$gv"
	list=""
	for r in $resources; do
		name=${r%%:*} rest=${r#*:}
		kind=${rest%%:*} namespaced=${rest#*:}
		list="$list${list:+,}{\"name\":\"$name\",\"namespaced\":$namespaced,\"kind\":\"$kind\",\"verbs\":[\"create\",\"get\",\"list\"]}"
	done
	printf '{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"%s","resources":[%s]}\n' "$gv" "$list" >"$cache/$gv/serverresources.json"
done
for gv in $(echo "$DISCOVERY" | sed -n 's/|.*//p'); do
	case $gv in
	*/*) group=${gv%/*} version=${gv#*/} ;;
	*) group="" version=$gv ;;
	esac
	groups="$groups${groups:+,}{\"name\":\"$group\",\"versions\":[{\"groupVersion\":\"$gv\",\"version\":\"$version\"}],\"preferredVersion\":{\"groupVersion\":\"$gv\",\"version\":\"$version\"}}"
done
printf '{"kind":"APIGroupList","apiVersion":"v1","groups":[%s]}\n' "$groups" >"$cache/servergroups.json"

if ! out=$("$KUBECTL" --kubeconfig "$kube/config" --cache-dir "$kube/cache" --request-timeout=5s \
	create --dry-run=client --validate=false -R -f deploy/kubernetes/ </dev/null 2>&1); then
	printf '%s\n' "$out" >&2
	log "kubectl rejected deploy/kubernetes/ (\"unable to recognize ... connection refused\" means a kind that is not in DISCOVERY in this script: a typo, a removed apiVersion or a CRD)"
	exit 1
fi
printf '%s\n' "$out" | sed 's/^/  /' >&2
log "kubectl dry run: ok, $(printf '%s\n' "$out" | grep -c 'dry run') objects (kubectl $("$KUBECTL" version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p'))"

# --- variable names ----------------------------------------------------------
# A typo in a manifest (MLSD_LOGFORMAT) is silently ignored by the app, so
# compare the names used in deploy/ with the string literals in cmd/mlsd.
# Secrets read as NAME_FILE count when NAME is read.
compose_only="MLSD_IMAGE MLSD_PUBLISH" # docker-compose.yml's own knobs
unknown=""
for v in $(grep -rhoE '\b(MLSD|SLACK|DISCORD|REDIS)_[A-Z0-9_]+\b' deploy/docker-compose.yml deploy/mlsd.env.example deploy/kubernetes deploy/README.md | sort -u); do
	case " $compose_only " in *" $v "*) continue ;; esac
	base=${v%_FILE}
	grep -rqsF "\"$base\"" cmd/mlsd/ || unknown="$unknown $v"
done
if [ -n "$unknown" ]; then
	log "deploy/ names variables that cmd/mlsd never reads (a typo?):$unknown"
	exit 1
fi
log "variable names: ok"

log "all checks passed in $(($(date +%s) - started))s"
