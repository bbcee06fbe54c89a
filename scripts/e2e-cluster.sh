#!/usr/bin/env bash
# The whole path on a real Kubernetes cluster (kind, or whatever the current kubeconfig points at):
# load the images, install cert-manager if absent, apply deploy/, create a labelled pod running a real
# HTTP server, send it traffic from another pod, assert the sidecar's messages, delete the pod and check
# the drain, uninstall. docs/deployment.md describes the same steps by hand.
#
# Exit: 0 passed, 1 failed, 77 skipped (no kubectl, or no cluster reachable: nothing was changed).
# Environment:
#   IMAGE_PREFIX            a registry the cluster pulls from: the images are pushed there (image.sh --push).
#                           Without it, the cluster must be kind (the images are loaded into its nodes).
#   KIND_CLUSTER            the kind cluster's name (default: from the context name kind-NAME, else "kind")
#   CERT_MANAGER_MANIFEST   cert-manager to install when the cluster has none
#                           (default: the v1.16.2 release manifest)
#   API_SERVER_CIDR         the API server's source range for deploy/networkpolicy.yaml (default: the
#                           first control-plane node's InternalIP, right for kind and kubeadm clusters)
#   KEEP=1                  leave the test namespace and the installation in place (for debugging)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

SKIP=77
say() { echo "e2e-cluster: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

command -v kubectl >/dev/null 2>&1 || { say "skipped: kubectl is not installed"; exit $SKIP; }
if ! kubectl version --request-timeout=10s >/dev/null 2>&1; then
  say "skipped: no Kubernetes cluster is reachable (kubectl version failed for context '$(kubectl config current-context 2>/dev/null || echo none)')"
  exit $SKIP
fi

version=$(node -p 'require("./ts/package.json").version')
sniffer=tcp-sniffer:$version
injector=tcp-sniffer-injector:$version
ns=tsn-e2e-$(date +%s)
work=$(mktemp -d)
installed_cert_manager=""
applied=""

cleanup() {
  local rc=$?
  if [ "${KEEP:-}" = 1 ]; then say "KEEP=1: namespace $ns and the installation are left in place"; exit $rc; fi
  kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  if [ -n "$applied" ]; then
    kubectl delete mutatingwebhookconfiguration tcp-sniffer-injector --ignore-not-found >/dev/null 2>&1 || true
    kubectl delete -f "$work/deploy.yaml" --ignore-not-found >/dev/null 2>&1 || true
  fi
  if [ -n "$installed_cert_manager" ]; then
    kubectl delete -f "$installed_cert_manager" --ignore-not-found >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

# 1. Images: built here, then pushed to IMAGE_PREFIX or loaded into kind's nodes.
engine=${ENGINE:-}
if [ -z "$engine" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then engine=docker; else engine=podman; fi
fi
export ENGINE=$engine
[ "$engine" = podman ] && export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/scripts/containers.conf}
if [ -n "${IMAGE_PREFIX:-}" ]; then
  say "building and pushing the images to $IMAGE_PREFIX"
  ./scripts/image.sh --push "$IMAGE_PREFIX" >&2
  sniffer_ref=$IMAGE_PREFIX/$sniffer
  injector_ref=$IMAGE_PREFIX/$injector
else
  command -v kind >/dev/null 2>&1 || fail "the cluster is not kind (no kind command): set IMAGE_PREFIX to a registry it pulls from"
  context=$(kubectl config current-context)
  cluster=${KIND_CLUSTER:-$([[ "$context" == kind-* ]] && echo "${context#kind-}" || echo kind)}
  say "building the images and loading them into kind cluster '$cluster'"
  ./scripts/image.sh >&2
  for image in "$sniffer" "$injector"; do
    # The cluster resolves "tcp-sniffer:V" as docker.io/library/tcp-sniffer:V; podman names it localhost/….
    "$engine" tag "$image" "docker.io/library/$image"
    "$engine" save -o "$work/image.tar" "docker.io/library/$image"
    kind load image-archive --name "$cluster" "$work/image.tar" >&2
    rm -f "$work/image.tar"
  done
  sniffer_ref=$sniffer
  injector_ref=$injector
fi

# 2. cert-manager, unless the cluster has it.
if ! kubectl get crd certificates.cert-manager.io >/dev/null 2>&1; then
  manifest=${CERT_MANAGER_MANIFEST:-https://github.com/cert-manager/cert-manager/releases/download/v1.16.2/cert-manager.yaml}
  say "installing cert-manager from $manifest"
  curl -fsSL -o "$work/cert-manager.yaml" "$manifest" 2>/dev/null || cp "$manifest" "$work/cert-manager.yaml"
  kubectl apply -f "$work/cert-manager.yaml" >&2
  installed_cert_manager=$work/cert-manager.yaml
fi
for d in cert-manager cert-manager-cainjector cert-manager-webhook; do
  kubectl -n cert-manager rollout status "deploy/$d" --timeout=300s >&2 || fail "cert-manager's $d is not ready"
done

# 3. deploy/, with the images' references, the API server's address in the NetworkPolicy, and the
#    webhook's caBundle filled by cert-manager.
api_cidr=${API_SERVER_CIDR:-}
if [ -z "$api_cidr" ]; then
  api_ip=$(kubectl get nodes -l node-role.kubernetes.io/control-plane \
    -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
  [ -n "$api_ip" ] || fail "no control-plane node is visible (a managed cluster?): set API_SERVER_CIDR (docs/deployment.md)"
  [[ "$api_ip" == *:* ]] && api_cidr=$api_ip/128 || api_cidr=$api_ip/32
fi
kubectl kustomize deploy/ \
  | sed -e "s#image: $injector\$#image: $injector_ref#" -e "s#\"image\": \"$sniffer\"#\"image\": \"$sniffer_ref\"#" \
        -e "s#cidr: 192\.0\.2\.1/32#cidr: $api_cidr#" \
  > "$work/deploy.yaml"
grep -q "cidr: $api_cidr" "$work/deploy.yaml" || fail "deploy/ has no NetworkPolicy placeholder to set"
say "NetworkPolicy admits $api_cidr to the webhook port"
grep -q "image: $injector_ref" "$work/deploy.yaml" || fail "deploy/ does not reference $injector"
grep -q "\"image\": \"$sniffer_ref\"" "$work/deploy.yaml" || fail "the injector options do not reference $sniffer"
# The Certificates need cert-manager's webhook answering, which can lag its rollout by seconds.
for i in $(seq 1 30); do kubectl apply -f "$work/deploy.yaml" >&2 && break; sleep 5; [ "$i" = 30 ] && fail "kubectl apply of deploy/ kept failing"; done
applied=1
kubectl -n tcp-sniffer-system rollout status deploy/tcp-sniffer-injector --timeout=300s >&2 || fail "the injector is not ready"
for i in $(seq 1 60); do
  bundle=$(kubectl get mutatingwebhookconfiguration tcp-sniffer-injector -o jsonpath='{.webhooks[0].clientConfig.caBundle}')
  [ -n "$bundle" ] && break
  sleep 2
done
[ -n "$bundle" ] || fail "cert-manager did not fill the webhook's caBundle"
echo "$bundle" | base64 -d | openssl x509 -noout -subject | grep -q tcp-sniffer-injector-ca \
  || fail "the caBundle is not the injector's CA"
say "ok: injector ready, caBundle filled"

# 4. A labelled pod running a real HTTP server, and a client pod.
kubectl create namespace "$ns" >&2
sed -e "s#__NAMESPACE__#$ns#g" -e "s#__IMAGE__#$sniffer_ref#g" tests/cluster/workload.yaml > "$work/workload.yaml"
# The webhook may take a moment to be called after its caBundle appears: retry until the pod is injected.
for i in $(seq 1 20); do
  kubectl apply -f "$work/workload.yaml" >&2
  injected=$(kubectl -n "$ns" get pod web -o jsonpath='{.metadata.annotations.tcp-sniffer\.io/injected}')
  [ "$injected" = true ] && break
  kubectl -n "$ns" delete pod web --wait=true >&2
  sleep 3
done
[ "$injected" = true ] || fail "the labelled pod was not injected"
containers=$(kubectl -n "$ns" get pod web -o jsonpath='{.spec.containers[*].name}')
[[ " $containers " == *" tcp-sniffer "* ]] || fail "no tcp-sniffer container in the pod (containers: $containers)"
kubectl -n "$ns" wait --for=condition=Ready pod/web pod/client --timeout=300s >&2 || fail "the pods did not become ready"
say "ok: sidecar injected ($containers)"

# 5. Traffic from the client pod to the server pod, then the sidecar's messages.
ip=$(kubectl -n "$ns" get pod web -o jsonpath='{.status.podIP}')
# The sidecar logs 'capturing' once its capture is open; traffic before that would not be seen.
for i in $(seq 1 60); do
  kubectl -n "$ns" logs web -c tcp-sniffer > "$work/start.log" 2>&1 || true
  grep -q '"message":"capturing"' "$work/start.log" && break
  sleep 1
done
kubectl -n "$ns" exec client -- node -e "
  const http = require('node:http');
  const one = (method, path, body) => new Promise((resolve, reject) => {
    const req = http.request({ host: '$ip', port: 8080, method, path }, (res) => {
      res.resume(); res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
  (async () => {
    for (let i = 1; i <= 5; i++) if (await one('GET', '/e2e/' + i) !== 200) process.exit(1);
    if (await one('POST', '/e2e/echo', 'x'.repeat(1000)) !== 200) process.exit(1);
  })().catch((e) => { console.error(e); process.exit(1); });
" >&2 || fail "the client's requests failed"

expect_messages() {
  local logs=$1
  node -e '
    const lines = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n");
    const msgs = lines.filter((l) => l.includes("\"direction\"")).map((l) => JSON.parse(l));
    const [ns, ip] = [process.argv[2], process.argv[3]];
    const problems = [];
    for (const path of ["/e2e/1", "/e2e/2", "/e2e/3", "/e2e/4", "/e2e/5", "/e2e/echo"]) {
      const req = msgs.filter((m) => m.direction === "request" && m.path === path);
      if (req.length !== 1) { problems.push(`${path}: ${req.length} requests`); continue; }
      const q = req[0];
      const res = msgs.filter((m) => m.direction === "response" && m.connectionId === q.connectionId && m.exchange === q.exchange);
      if (res.length !== 1 || res[0].statusCode !== 200) problems.push(`${path}: responses ${JSON.stringify(res.map((r) => r.statusCode))}`);
      if (q.destination.ip !== ip || q.destination.port !== 8080) problems.push(`${path}: destination ${JSON.stringify(q.destination)}`);
      if (q.placement?.pod !== "web" || q.placement?.namespace !== ns) problems.push(`${path}: placement ${JSON.stringify(q.placement)}`);
      if (path === "/e2e/echo" && (q.bodySize !== 1000 || res[0]?.bodySize !== 1000)) problems.push(`${path}: body sizes`);
      if (path !== "/e2e/echo" && res[0]?.body !== `hello ${path}\n`) problems.push(`${path}: body ${JSON.stringify(res[0]?.body)}`);
    }
    if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
  ' "$logs" "$ns" "$ip"
}
ok=""
for i in $(seq 1 30); do
  kubectl -n "$ns" logs web -c tcp-sniffer > "$work/sidecar.log"
  if expect_messages "$work/sidecar.log" 2>"$work/problems"; then ok=1; break; fi
  sleep 2
done
[ -n "$ok" ] || fail "the sidecar's messages are not what the client did: $(cat "$work/problems")"
say "ok: every request and response seen by the sidecar, with placement"

# 6. Delete the pod: the sidecar drains and exits 0 within the grace period.
kubectl -n "$ns" logs -f web -c tcp-sniffer > "$work/final.log" 2>&1 &
follower=$!
sleep 1
kubectl -n "$ns" delete pod web --wait=true --timeout=120s >&2 || fail "the pod was not deleted"
wait "$follower" || true
grep -q '"message":"stopped"' "$work/final.log" || fail "the sidecar did not log its drained stop: $(tail -n 5 "$work/final.log")"
if grep -q 'drain deadline passed' "$work/final.log"; then fail "the sidecar's drain hit its deadline"; fi
say "ok: the sidecar drained and stopped"

# 7. Uninstall (the trap does it; here it is checked).
trap - EXIT
kubectl delete namespace "$ns" --wait=true --timeout=180s >&2
kubectl delete mutatingwebhookconfiguration tcp-sniffer-injector >&2
kubectl delete -f "$work/deploy.yaml" --ignore-not-found --wait=true --timeout=180s >&2
if kubectl get namespace tcp-sniffer-system >/dev/null 2>&1; then fail "tcp-sniffer-system still exists after uninstall"; fi
[ -z "$installed_cert_manager" ] || kubectl delete -f "$installed_cert_manager" --ignore-not-found >&2
rm -rf "$work"
say "passed"
