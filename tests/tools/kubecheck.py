#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""kubecheck.py MANIFEST: checks a Kubernetes manifest offline, as far as Debian allows, against
the API models of python3-kubernetes (generated from Kubernetes' OpenAPI schema):

- every document's apiVersion and kind name a model this checks (v1 ConfigMap and Service, apps/v1
  Deployment), every field of it at every depth is a field of its model (a misspelt key, which
  kubectl would refuse and podman kube play ignores, is reported with its path), and each value
  has its field's type;
- the model's own validation runs (required fields, enumerations the client knows);
- what the API server would check across fields: the selector matches the pod template's labels,
  port names are IANA service names (at most 15 characters), every port a probe or the Service
  names is a container port of that name and protocol.

Prints one line per problem, then "kubecheck: N documents, N problems"; exits 1 on any problem.
What it cannot see (admission, defaults, resource quantities' syntax, the image) is said in
packaging/container/README.md."""
import re
import sys

import yaml
import kubernetes.client as k8s
from kubernetes.client import ApiClient

MODELS = {("v1", "ConfigMap"): "V1ConfigMap", ("apps/v1", "Deployment"): "V1Deployment",
          ("v1", "Service"): "V1Service"}
PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float)}
IANA_SVC_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$")


def walk(value, kind, path, problems):
    """value against the OpenAPI type name kind (V1PodSpec, list[V1Container], dict(str, str),
    str, object...), each problem appended with its path."""
    m = re.fullmatch(r"list\[(.*)\]", kind)
    if m:
        if not isinstance(value, list):
            problems.append(f"{path}: a list expected, not {type(value).__name__}")
            return
        for i, item in enumerate(value):
            walk(item, m.group(1), f"{path}[{i}]", problems)
        return
    m = re.fullmatch(r"dict\(str, (.*)\)", kind)
    if m:
        if not isinstance(value, dict):
            problems.append(f"{path}: a map expected, not {type(value).__name__}")
            return
        for key, item in value.items():
            walk(item, m.group(1), f"{path}.{key}", problems)
        return
    if kind in PRIMITIVE:
        # YAML's 1 is not a string: the API server refuses it where a string is wanted.
        if not isinstance(value, PRIMITIVE[kind]) or (kind == "int" and isinstance(value, bool)):
            problems.append(f"{path}: {kind} expected, not {type(value).__name__} {value!r}")
        return
    if kind in ("object", "datetime", "date"):
        return                          # int-or-string, quantities, free-form
    model = getattr(k8s, kind)
    if not isinstance(value, dict):
        problems.append(f"{path}: a {kind} (a map) expected, not {type(value).__name__}")
        return
    fields = {json: attr for attr, json in model.attribute_map.items()}
    for key, item in value.items():
        if key not in fields:
            problems.append(f"{path}.{key}: no such field in {kind}")
        else:
            walk(item, model.openapi_types[fields[key]], f"{path}.{key}", problems)


def ports_named(containers):
    return {(p.get("name"), p.get("protocol", "TCP")) for c in containers
            for p in c.get("ports", [])}


def check_deployment(doc, path, problems):
    spec = doc.get("spec", {})
    template = spec.get("template", {})
    labels = template.get("metadata", {}).get("labels", {})
    selector = spec.get("selector", {}).get("matchLabels", {})
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problems.append(f"{path}.spec.selector: {selector} does not match the template's "
                        f"labels {labels}")
    containers = template.get("spec", {}).get("containers", [])
    named = ports_named(containers)
    for c in containers:
        for p in c.get("ports", []):
            if "name" in p and not IANA_SVC_NAME.match(p["name"]):
                problems.append(f"{path}: port name {p['name']!r} is not an IANA service name "
                                "(lower case, at most 15 characters)")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            for how in ("tcpSocket", "httpGet"):
                port = c.get(probe, {}).get(how, {}).get("port")
                if isinstance(port, str) and (port, "TCP") not in named:
                    problems.append(f"{path}: {c.get('name')}.{probe}.{how}.port {port!r} is "
                                    "no TCP port of the container")
    return labels, named


def check_service(doc, path, pods, problems):
    spec = doc.get("spec", {})
    selector = spec.get("selector", {})
    matched = [named for labels, named in pods
               if selector and all(labels.get(k) == v for k, v in selector.items())]
    if not matched:
        problems.append(f"{path}.spec.selector: {selector} selects no pod of this manifest")
        return
    for p in spec.get("ports", []):
        target = p.get("targetPort")
        proto = p.get("protocol", "TCP")
        if isinstance(target, str) and not any((target, proto) in n for n in matched):
            problems.append(f"{path}: port {p.get('name')!r} targets {target!r} over {proto}, "
                            "which no selected container has")


def main():
    with open(sys.argv[1]) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    problems, pods, services, api = [], [], [], ApiClient()
    for i, doc in enumerate(docs):
        key = (doc.get("apiVersion"), doc.get("kind"))
        path = f"{key[1]}/{doc.get('metadata', {}).get('name', i)}"
        if key not in MODELS:
            problems.append(f"document {i}: {key[0]} {key[1]}: not a kind this check knows")
            continue
        before = len(problems)
        walk(doc, MODELS[key], path, problems)
        if len(problems) == before:
            try:
                # The client's own deserializer: required fields, known enumerations.
                api._ApiClient__deserialize(doc, MODELS[key])
            except (ValueError, TypeError) as e:
                problems.append(f"{path}: {e}")
        if key[1] == "Deployment":
            pods.append(check_deployment(doc, path, problems))
        elif key[1] == "Service":
            services.append((doc, path))
    for doc, path in services:
        check_service(doc, path, pods, problems)
    for p in problems:
        print(p)
    print(f"kubecheck: {len(docs)} documents, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
