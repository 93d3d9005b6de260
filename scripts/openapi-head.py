#!/usr/bin/env python3
"""openapi-head.py - (re)writes the HEAD operation of every GET in openapi.yaml.

The router answers HEAD on every GET route (src/server/router.c): the same
handler, status and headers, no body. The spec declares each as its own
operation (operationId head<GetOperationId>), made from the GET: the same
tags, security, x-roles and parameters; the GET's success answers with their
headers and no content; its other answers as they are (the client gets their
status and headers; a HEAD answer never has a body). tests/api/
test_openapi_spec.py checks that they agree; after changing a GET (or adding
one), run this and commit the result.

    scripts/openapi-head.py [openapi.yaml]
"""

import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


Dumper.add_representer(str, _str)


def resolve(doc, obj):
    while isinstance(obj, dict) and "$ref" in obj:
        node = doc
        for part in obj["$ref"][2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def head_of(doc, get):
    oid = get["operationId"]
    op = {
        "operationId": "head" + oid[0].upper() + oid[1:],
        "tags": get["tags"],
        "summary": "Headers only: " + get["summary"][0].lower() + get["summary"][1:],
        "description": (f"`HEAD` of `{oid}` (RFC 9110 §9.3.2): the same status, the same "
                        "headers (`ETag`, `Content-Length`, `Cache-Control` ...) and the same "
                        "access rules, with no body. A cheap way to check that a resource "
                        "exists, or whether it changed (`If-None-Match`), without "
                        "downloading it."),
        "security": get["security"],
        "x-roles": get["x-roles"],
    }
    if "parameters" in get:
        op["parameters"] = get["parameters"]
    responses = {}
    for status, r in get["responses"].items():
        if status.startswith("2"):
            rr = resolve(doc, r)
            d = rr["description"]
            responses[status] = {"description": "As for `GET`, without the body: "
                                 + d[0].lower() + d[1:]}
            if rr.get("headers"):
                responses[status]["headers"] = rr["headers"]
        else:
            responses[status] = r
    op["responses"] = responses
    return op


def line_start(text, index):
    return text.rindex("\n", 0, index) + 1


def main(path):
    text = open(path, encoding="utf-8").read()
    # 1. drop the HEAD operations there are
    root = yaml.compose(text)
    paths = next(v for k, v in root.value if k.value == "paths")
    cuts = []
    for _, item in paths.value:
        for i, (k, v) in enumerate(item.value):
            if k.value == "head":
                cuts.append((line_start(text, k.start_mark.index),
                             line_start(text, v.end_mark.index)
                             if v.end_mark.column else v.end_mark.index))
    for a, b in sorted(cuts, reverse=True):
        while text[b - 2:b] == "\n\n":  # the blank lines after it stay
            b -= 1
        text = text[:a] + text[b:]
    # 2. write one after each GET
    doc = yaml.safe_load(text)
    root = yaml.compose(text)
    paths = next(v for k, v in root.value if k.value == "paths")
    edits = []
    for knode, item in paths.value:
        get = next((v for k, v in item.value if k.value == "get"), None)
        if get is None:
            continue
        at = line_start(text, get.end_mark.index) if get.end_mark.column else get.end_mark.index
        while text[at - 2:at] == "\n\n":  # blank lines stay after the HEAD
            at -= 1
        body = yaml.dump({"head": head_of(doc, doc["paths"][knode.value]["get"])},
                         Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
        edits.append((at, "".join("    " + line + "\n" for line in body.rstrip("\n").split("\n"))))
    for at, body in sorted(edits, reverse=True):
        text = text[:at] + body + text[at:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"openapi-head.py: {len(edits)} HEAD operations in {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "openapi.yaml"))
