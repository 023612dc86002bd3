#!/usr/bin/python3
"""Checks the kustomize base and overlays in k8s/ (issue 9), run by CTest.

    check_manifests.py render   --kubectl KUBECTL --k8s DIR   every tree renders; no file left out
    check_manifests.py schema   --kubectl KUBECTL --k8s DIR   required fields, types, references
    check_manifests.py policy   --kubectl KUBECTL --k8s DIR   non-root, read-only, limits, probes
    check_manifests.py selftest                               the checks catch broken manifests

kubectl 1.20 (Debian's kubernetes-client) cannot validate without a cluster, so the schema check
is this script: for each kind the toolkit uses, the fields Kubernetes requires, the field names
it knows (a typo such as "readinesProbe" is silently dropped by the API server, so it is an
error here), value types, and the references between objects (selectors, volumes, Secrets and
their keys, ServiceAccounts, probe ports). Run with /usr/bin/python3 (python3-yaml).
"""

import argparse
import os
import re
import subprocess
import sys

import yaml

TREES = ["base", "overlays/single-node", "overlays/multi-replica"]

KNOWN_KINDS = {
    ("apps/v1", "Deployment"), ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("v1", "Service"),
    ("v1", "ServiceAccount"), ("v1", "ConfigMap"), ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "NetworkPolicy"), ("bitnami.com/v1alpha1", "SealedSecret"),
}

# Field names of the API objects (core/v1 and friends, Kubernetes 1.25+), for the parts that are
# written by hand here. Anything else is a typo or a field of another version.
CONTAINER_FIELDS = {"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources",
                    "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe",
                    "lifecycle", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
                    "securityContext", "stdin", "stdinOnce", "tty", "resizePolicy", "restartPolicy"}
POD_FIELDS = {"volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
              "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector",
              "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork",
              "hostPID", "hostIPC", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname",
              "subdomain", "affinity", "schedulerName", "tolerations", "hostAliases", "priorityClassName",
              "priority", "dnsConfig", "readinessGates", "runtimeClassName", "enableServiceLinks",
              "preemptionPolicy", "overhead", "topologySpreadConstraints", "setHostnameAsFQDN", "os",
              "hostUsers", "schedulingGates", "resourceClaims"}
CONTAINER_SECURITY_FIELDS = {"capabilities", "privileged", "seLinuxOptions", "windowsOptions", "runAsUser",
                             "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation",
                             "procMount", "seccompProfile", "appArmorProfile"}
POD_SECURITY_FIELDS = {"seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot",
                       "supplementalGroups", "fsGroup", "sysctls", "fsGroupChangePolicy", "seccompProfile",
                       "appArmorProfile"}
PROBE_FIELDS = {"exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"}
JOB_SPEC_FIELDS = {"parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy", "backoffLimit",
                   "selector", "manualSelector", "template", "ttlSecondsAfterFinished", "completionMode",
                   "suspend", "backoffLimitPerIndex", "maxFailedIndexes", "podReplacementPolicy"}
CRONJOB_SPEC_FIELDS = {"schedule", "timeZone", "startingDeadlineSeconds", "concurrencyPolicy", "suspend",
                       "jobTemplate", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"}
DEPLOYMENT_SPEC_FIELDS = {"replicas", "selector", "template", "strategy", "minReadySeconds",
                          "revisionHistoryLimit", "paused", "progressDeadlineSeconds"}
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, message):
        self.items.append(f"{where}: {message}")


def render(kubectl, tree):
    r = subprocess.run([kubectl, "kustomize", tree], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"kubectl kustomize {tree} failed:\n{r.stderr}")
    docs = [d for d in yaml.safe_load_all(r.stdout) if d is not None]
    if not docs:
        raise SystemExit(f"kubectl kustomize {tree} rendered nothing")
    return docs


def name_of(doc):
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"


def pod_templates(doc):
    """(where, pod template) of a workload."""
    spec = doc.get("spec") or {}
    kind = doc.get("kind")
    if kind in ("Deployment", "Job"):
        return [(name_of(doc), spec.get("template") or {})]
    if kind == "CronJob":
        return [(name_of(doc), ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {})]
    return []


def containers(pod_spec):
    return list(pod_spec.get("initContainers") or []) + list(pod_spec.get("containers") or [])


def unknown(p, where, obj, allowed):
    if not isinstance(obj, dict):
        p.add(where, "must be a mapping")
        return
    for k in obj:
        if k not in allowed:
            p.add(where, f"unknown field '{k}'")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_quantity(p, where, v):
    if not (is_int(v) or (isinstance(v, str) and QUANTITY.match(v))):
        p.add(where, f"'{v}' is not a resource quantity")


def check_probe(p, where, probe, port_names):
    unknown(p, where, probe, PROBE_FIELDS)
    handlers = [h for h in ("exec", "httpGet", "tcpSocket", "grpc") if h in probe]
    if len(handlers) != 1:
        p.add(where, "needs exactly one of exec, httpGet, tcpSocket, grpc")
    for h in ("httpGet", "tcpSocket"):
        port = (probe.get(h) or {}).get("port")
        if h in probe and isinstance(port, str) and port not in port_names:
            p.add(where, f"probe port '{port}' is not a port of the container")
        if h in probe and port is None:
            p.add(where, f"{h} needs a port")


def check_pod(p, where, template, secrets, service_accounts, config_maps):
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return p.add(where, "pod template has no spec")
    unknown(p, where + " pod spec", spec, POD_FIELDS)
    unknown(p, where + " pod securityContext", spec.get("securityContext") or {}, POD_SECURITY_FIELDS)
    if not spec.get("containers"):
        p.add(where, "pod has no containers")
    sa = spec.get("serviceAccountName")
    if sa and sa not in service_accounts:
        p.add(where, f"ServiceAccount '{sa}' is not defined")
    volumes = {}
    for v in spec.get("volumes") or []:
        if not v.get("name"):
            p.add(where, "a volume has no name")
        volumes[v.get("name")] = v
        secret = v.get("secret")
        if secret is not None:
            ref = secret.get("secretName")
            if ref not in secrets:
                p.add(where, f"volume '{v.get('name')}' mounts Secret '{ref}', which no SealedSecret provides")
            for item in secret.get("items") or []:
                if ref in secrets and item.get("key") not in secrets[ref]:
                    p.add(where, f"Secret '{ref}' has no key '{item.get('key')}'")
        cm = v.get("configMap")
        if cm is not None and cm.get("name") not in config_maps and not cm.get("optional"):
            p.add(where, f"ConfigMap '{cm.get('name')}' is not defined and not optional")
    names = set()
    for c in containers(spec):
        cw = f"{where} container '{c.get('name')}'"
        unknown(p, cw, c, CONTAINER_FIELDS)
        if not isinstance(c.get("name"), str) or not DNS_LABEL.match(c.get("name", "")):
            p.add(cw, "needs a name that is a DNS label")
        if c.get("name") in names:
            p.add(cw, "duplicate container name")
        names.add(c.get("name"))
        if not isinstance(c.get("image"), str) or not c.get("image"):
            p.add(cw, "needs an image")
        for field in ("command", "args"):
            if field in c and not (isinstance(c[field], list) and all(isinstance(a, str) for a in c[field])):
                p.add(cw, f"{field} must be a list of strings")
        env_names = set()
        for e in c.get("env") or []:
            if not isinstance(e.get("name"), str):
                p.add(cw, "an env entry has no name")
            if e.get("name") in env_names:
                p.add(cw, f"env '{e.get('name')}' is set twice")
            env_names.add(e.get("name"))
            if "value" in e and not isinstance(e["value"], str):
                p.add(cw, f"env '{e.get('name')}' value must be a string (quote it)")
            ref = ((e.get("valueFrom") or {}).get("secretKeyRef")) or None
            if ref and (ref.get("name") not in secrets or ref.get("key") not in secrets[ref.get("name")]):
                p.add(cw, f"env '{e.get('name')}' reads Secret {ref.get('name')}/{ref.get('key')}, which is not provided")
        port_names = set()
        for port in c.get("ports") or []:
            if not is_int(port.get("containerPort")) or not 0 < port["containerPort"] < 65536:
                p.add(cw, "a port needs a containerPort from 1 to 65535")
            if port.get("name"):
                port_names.add(port["name"])
        for m in c.get("volumeMounts") or []:
            if m.get("name") not in volumes:
                p.add(cw, f"mounts volume '{m.get('name')}', which the pod does not define")
            if not str(m.get("mountPath", "")).startswith("/"):
                p.add(cw, f"volume '{m.get('name')}' needs an absolute mountPath")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if probe in c:
                check_probe(p, f"{cw} {probe}", c[probe], port_names)
        unknown(p, cw + " securityContext", c.get("securityContext") or {}, CONTAINER_SECURITY_FIELDS)
        resources = c.get("resources") or {}
        unknown(p, cw + " resources", resources, {"limits", "requests", "claims"})
        for part in ("limits", "requests"):
            for k, v in (resources.get(part) or {}).items():
                check_quantity(p, f"{cw} resources.{part}.{k}", v)


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_schema(docs):
    p = Problems()
    seen = set()
    secrets = {}
    service_accounts = set()
    config_maps = set()
    for d in docs:
        if (d.get("apiVersion"), d.get("kind")) not in KNOWN_KINDS:
            p.add(name_of(d), f"unknown apiVersion/kind {d.get('apiVersion')}/{d.get('kind')}")
        meta = d.get("metadata") or {}
        if not isinstance(meta.get("name"), str) or not DNS_LABEL.match(meta.get("name", "")) or len(meta["name"]) > 63:
            p.add(name_of(d), "metadata.name must be a DNS label")
        for field in ("labels", "annotations"):
            for k, v in (meta.get(field) or {}).items():
                if not isinstance(v, str):
                    p.add(name_of(d), f"{field} '{k}' must be a string (quote it)")
        key = (d.get("kind"), meta.get("name"), meta.get("namespace"))
        if key in seen:
            p.add(name_of(d), "defined twice")
        seen.add(key)
        if d.get("kind") == "SealedSecret":
            data = (d.get("spec") or {}).get("encryptedData") or {}
            if not data:
                p.add(name_of(d), "spec.encryptedData is empty")
            secrets[meta.get("name")] = set(data)
        if d.get("kind") == "ServiceAccount":
            service_accounts.add(meta.get("name"))
        if d.get("kind") == "ConfigMap":
            config_maps.add(meta.get("name"))
    pods = []
    for d in docs:
        kind, spec, where = d.get("kind"), d.get("spec") or {}, name_of(d)
        if kind == "Deployment":
            unknown(p, where + " spec", spec, DEPLOYMENT_SPEC_FIELDS)
            selector = (spec.get("selector") or {}).get("matchLabels")
            template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            if not labels_match(selector, template_labels):
                p.add(where, "spec.selector.matchLabels does not match the pod template's labels")
            if "replicas" in spec and (not is_int(spec["replicas"]) or spec["replicas"] < 0):
                p.add(where, "replicas must be a whole number")
        if kind == "Job":
            unknown(p, where + " spec", spec, JOB_SPEC_FIELDS)
        if kind == "CronJob":
            unknown(p, where + " spec", spec, CRONJOB_SPEC_FIELDS)
            if len(str(spec.get("schedule", "")).split()) != 5:
                p.add(where, "schedule must have 5 fields")
            if spec.get("concurrencyPolicy") not in (None, "Allow", "Forbid", "Replace"):
                p.add(where, "concurrencyPolicy must be Allow, Forbid or Replace")
            unknown(p, where + " jobTemplate.spec", (spec.get("jobTemplate") or {}).get("spec") or {},
                    JOB_SPEC_FIELDS)
        for w, template in pod_templates(d):
            pods.append((w, (template.get("metadata") or {}).get("labels") or {}, template))
            check_pod(p, w, template, secrets, service_accounts, config_maps)
            restart = (template.get("spec") or {}).get("restartPolicy")
            if kind in ("Job", "CronJob") and restart not in ("Never", "OnFailure"):
                p.add(w, "a Job's pods need restartPolicy Never or OnFailure")
    for d in docs:
        kind, spec, where = d.get("kind"), d.get("spec") or {}, name_of(d)
        if kind == "Service":
            if not spec.get("ports"):
                p.add(where, "needs ports")
            selected = [t for _, labels, t in pods if labels_match(spec.get("selector"), labels)]
            if not selected:
                p.add(where, "its selector matches no pod template")
            for port in spec.get("ports") or []:
                target = port.get("targetPort", port.get("port"))
                if isinstance(target, str) and not any(
                        target == cp.get("name") for t in selected for c in containers(t.get("spec") or {})
                        for cp in c.get("ports") or []):
                    p.add(where, f"targetPort '{target}' is no named port of the selected pods")
        if kind == "PodDisruptionBudget":
            if ("minAvailable" in spec) == ("maxUnavailable" in spec):
                p.add(where, "needs exactly one of minAvailable and maxUnavailable")
            if not any(labels_match((spec.get("selector") or {}).get("matchLabels"), l) for _, l, _ in pods):
                p.add(where, "its selector matches no pod template")
        if kind == "NetworkPolicy":
            selector = (spec.get("podSelector") or {}).get("matchLabels")
            if "podSelector" not in spec:
                p.add(where, "needs a podSelector")
            elif selector and not any(labels_match(selector, l) for _, l, _ in pods):
                p.add(where, "its podSelector matches no pod template")
            for t in spec.get("policyTypes") or []:
                if t not in ("Ingress", "Egress"):
                    p.add(where, f"unknown policyType '{t}'")
            for direction, peer_key in (("ingress", "from"), ("egress", "to")):
                for rule in spec.get(direction) or []:
                    unknown(p, f"{where} {direction} rule", rule, {peer_key, "ports"})
                    for port in rule.get("ports") or []:
                        if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
                            p.add(where, f"unknown protocol {port.get('protocol')}")
        if kind == "SealedSecret":
            template = (spec.get("template") or {}).get("metadata") or {}
            if template.get("name", d["metadata"]["name"]) != d["metadata"]["name"]:
                p.add(where, "spec.template.metadata.name differs from the SealedSecret's name")
    return p


def check_policy(docs):
    """Every container: non-root, read-only root filesystem, no privilege escalation, all
    capabilities dropped, requests and limits for cpu and memory, and probes when it serves."""
    p = Problems()
    for d in docs:
        for where, template in pod_templates(d):
            spec = template.get("spec") or {}
            pod_sc = spec.get("securityContext") or {}
            for c in containers(spec):
                cw = f"{where} container '{c.get('name')}'"
                sc = c.get("securityContext") or {}
                non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
                user = sc.get("runAsUser", pod_sc.get("runAsUser"))
                if non_root is not True:
                    p.add(cw, "must set runAsNonRoot: true")
                if user is not None and user == 0:
                    p.add(cw, "runs as user 0")
                if sc.get("readOnlyRootFilesystem") is not True:
                    p.add(cw, "must set readOnlyRootFilesystem: true")
                if sc.get("allowPrivilegeEscalation") is not False:
                    p.add(cw, "must set allowPrivilegeEscalation: false")
                if sc.get("privileged"):
                    p.add(cw, "must not be privileged")
                if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                    p.add(cw, "must drop ALL capabilities")
                resources = c.get("resources") or {}
                for part in ("limits", "requests"):
                    for r in ("cpu", "memory"):
                        if r not in (resources.get(part) or {}):
                            p.add(cw, f"needs resources.{part}.{r}")
                if c.get("ports"):
                    for probe in ("readinessProbe", "livenessProbe"):
                        if probe not in c:
                            p.add(cw, f"serves a port but has no {probe}")
            if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
                p.add(where, "must not share the host's namespaces")
    return p


def all_files_used(k8s):
    """Every YAML file under base/ and overlays/ is named by its kustomization (nothing forgotten)."""
    problems = []
    for tree in TREES:
        root = os.path.join(k8s, tree)
        k = yaml.safe_load(open(os.path.join(root, "kustomization.yaml")))
        named = set()
        for field in ("resources", "bases", "patchesStrategicMerge", "components"):
            named |= set(k.get(field) or [])
        for patch in (k.get("patchesJson6902") or []) + (k.get("patches") or []):
            named.add(patch.get("path"))
        for f in sorted(os.listdir(root)):
            if f.endswith(".yaml") and f != "kustomization.yaml" and f not in named:
                problems.append(f"{tree}/{f} is not named in {tree}/kustomization.yaml")
    return problems


def plan_matches(k8s, docs):
    """The placeholders name the same Secrets and keys as the plan that seals the real ones."""
    plan = yaml.safe_load(open(os.path.join(k8s, "secrets", "toolkit-plan.yaml")))
    planned = {s["name"]: set(s["keys"]) for s in plan["secrets"]}
    placed = {d["metadata"]["name"]: set((d.get("spec") or {}).get("encryptedData") or {})
              for d in docs if d.get("kind") == "SealedSecret"}
    if planned == placed:
        return []
    return [f"k8s/secrets/toolkit-plan.yaml and the SealedSecret placeholders differ: plan {planned}, "
            f"placeholders {placed}"]


def report(title, problems):
    for item in problems:
        print(f"{title}: {item}", file=sys.stderr)
    return 1 if problems else 0


def selftest():
    """The checks must catch what they are for: each broken copy of a good Deployment fails."""
    good = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": {"app": "x"}}, "spec": {
                         "securityContext": {"runAsNonRoot": True},
                         "containers": [{"name": "x", "image": "i", "ports": [{"name": "http", "containerPort": 80}],
                                         "readinessProbe": {"httpGet": {"port": "http", "path": "/"}},
                                         "livenessProbe": {"httpGet": {"port": "http", "path": "/"}},
                                         "securityContext": {"readOnlyRootFilesystem": True,
                                                             "allowPrivilegeEscalation": False,
                                                             "capabilities": {"drop": ["ALL"]}},
                                         "resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                                                       "requests": {"cpu": "10m", "memory": "8Mi"}}}]}}}}
    import copy

    def broken(change):
        d = copy.deepcopy(good)
        change(d["spec"]["template"]["spec"]["containers"][0], d)
        return d

    schema_cases = {
        "typo": broken(lambda c, d: c.update(readinesProbe=c.pop("readinessProbe"))),
        "no image": broken(lambda c, d: c.pop("image")),
        "env number": broken(lambda c, d: c.update(env=[{"name": "A", "value": 5}])),
        "missing volume": broken(lambda c, d: c.update(volumeMounts=[{"name": "v", "mountPath": "/v"}])),
        "selector": broken(lambda c, d: d["spec"]["selector"]["matchLabels"].update(app="y")),
        "probe port": broken(lambda c, d: c["livenessProbe"]["httpGet"].update(port="metrics")),
        "quantity": broken(lambda c, d: c["resources"]["limits"].update(memory="lots")),
        "secret": broken(lambda c, d: d["spec"]["template"]["spec"].update(
            volumes=[{"name": "s", "secret": {"secretName": "nope"}}])),
    }
    policy_cases = {
        "root": broken(lambda c, d: d["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False)),
        "writable": broken(lambda c, d: c["securityContext"].pop("readOnlyRootFilesystem")),
        "no limits": broken(lambda c, d: c["resources"].pop("limits")),
        "no probe": broken(lambda c, d: c.pop("readinessProbe")),
        "escalation": broken(lambda c, d: c["securityContext"].update(allowPrivilegeEscalation=True)),
    }
    failures = []
    if check_schema([good]).items or check_policy([good]).items:
        failures.append("the good Deployment was refused: " + "; ".join(check_schema([good]).items +
                                                                       check_policy([good]).items))
    for name, d in schema_cases.items():
        if not check_schema([d]).items:
            failures.append(f"schema check missed: {name}")
    for name, d in policy_cases.items():
        if not check_policy([d]).items:
            failures.append(f"policy check missed: {name}")
    return report("selftest", failures)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["render", "schema", "policy", "selftest"])
    ap.add_argument("--kubectl", default="kubectl")
    ap.add_argument("--k8s", default=os.path.join(os.path.dirname(__file__), "..", "..", "k8s"))
    args = ap.parse_args()
    if args.mode == "selftest":
        return selftest()
    status = 0
    if args.mode == "render":
        status |= report("render", all_files_used(args.k8s))
    for tree in TREES:
        docs = render(args.kubectl, os.path.join(args.k8s, tree))
        if args.mode == "render":
            kinds = sorted({d["kind"] for d in docs})
            for want in ("Deployment", "CronJob", "Job", "NetworkPolicy", "ServiceAccount", "SealedSecret"):
                if want not in kinds:
                    status |= report(tree, [f"renders no {want}"])
            if tree.startswith("overlays/") and any((d.get("metadata") or {}).get("namespace") != "iot"
                                                    for d in docs):
                status |= report(tree, ["an object is outside the namespace iot"])
            print(f"{tree}: {len(docs)} objects ({', '.join(kinds)})")
        elif args.mode == "schema":
            status |= report(f"schema {tree}", check_schema(docs).items)
            if tree == "base":
                status |= report("secrets plan", plan_matches(args.k8s, docs))
        else:
            status |= report(f"policy {tree}", check_policy(docs).items)
    return status


if __name__ == "__main__":
    sys.exit(main())
