"""Finds every English message of the service in its C sources, and reads the
catalogue (src/base/messages.def), for test_language.py.

A message is a string literal that reaches a problem's detail or an errors[]
entry: the message argument of problem_reply / problem_replyf /
problem_reply_errors / verrs_add and of the functions that pass theirs on
(CALLS below), a `.not_found =` of a published resource, the deny column of
api/routes.def, and any literal marked N_("...") (one that travels through a
variable). Every literal of a message argument counts, both arms of a `?:`
included.

Run as a script it prints what is missing (file:line, English) and fails;
with --write-spec it rewrites openapi.yaml's ProblemCode and ErrorCode enums
(and their x-enum-descriptions) from the catalogue; --list lists every
message of the sources.
"""

import glob
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEF = os.path.join(REPO, "src", "base", "messages.def")

# function -> {argument index: kind}; P a problem's detail, E an errors[] message.
CALLS = {
    "problem_reply": {3: "P"},
    "problem_replyf": {3: "P"},
    "problem_reply_errors": {3: "P"},
    "problem_new": {3: "P"},
    "conflict_reply": {1: "P"},
    "entry_conflict": {3: "P"},
    "publication_conflict": {4: "P"},
    "request_conflict_reply": {2: "P"},
    "common_row_or_reply": {4: "P"},
    "common_lock_or_reply": {3: "P"},
    "common_invalid_reply": {2: "P"},
    "refused": {1: "P"},
    "invalid": {1: "P"},
    "key_invalid_reply": {1: "P", 2: "E"},
    "invalid_reply": {2: "P", 3: "E"},
    "query_invalid_reply": {2: "E"},
    "upload_serve": {5: "P"},
    "verrs_add": {2: "E"},
    "say": {4: "P"},
    "msg_format": {3: "P"},
}

STRING = r'"((?:[^"\\\n]|\\.)*)"'


def _blank_comments(s):
    """s with comments replaced by spaces (newlines kept), strings intact."""
    out, i, n = [], 0, len(s)
    while i < n:
        if s.startswith("/*", i):
            j = s.find("*/", i + 2) + 2
            out.append(re.sub(r"[^\n]", " ", s[i:j]))
            i = j
        elif s.startswith("//", i):
            j = s.find("\n", i)
            out.append(" " * (j - i))
            i = j
        elif s[i] in "\"'":
            q, j = s[i], i + 1
            while s[j] != q:
                j += 2 if s[j] == "\\" else 1
            out.append(s[i:j + 1])
            i = j + 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _args(s, open_paren):
    """The top-level arguments of the call whose '(' is at open_paren."""
    depth, i, cur, args = 0, open_paren, open_paren + 1, []
    while i < len(s):
        c = s[i]
        if c in "\"'":
            j = i + 1
            while s[j] != c:
                j += 2 if s[j] == "\\" else 1
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(s[cur:i])
                return args
        elif c == "," and depth == 1:
            args.append(s[cur:i])
            cur = i + 1
        i += 1
    return args


def c_unescape(lit):
    return bytes(lit, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def _literals(expr):
    """The messages of an argument: adjacent literals joined, each arm of ?:."""
    found = []
    for arm in re.split(r"[?:]", re.sub(STRING, lambda m: m.group(0).replace("?", "\x01").replace(":", "\x02"), expr)):
        arm = arm.replace("\x01", "?").replace("\x02", ":")
        parts = re.findall(STRING, arm)
        if parts:
            found.append(c_unescape("".join(parts)))
    return found


def _macros():
    """{NAME: text} of the string macros of include/, api/ and src/
    (`#define NAME "..." "..."`), for a message passed by its macro."""
    out = {}
    for path in glob.glob(os.path.join(REPO, "include", "**", "*.h"), recursive=True) + \
            glob.glob(os.path.join(REPO, "api", "*.c")) + \
            glob.glob(os.path.join(REPO, "src", "**", "*.c"), recursive=True):
        s = _blank_comments(open(path, encoding="utf-8").read())
        for m in re.finditer(r"^#define\s+([A-Z_][A-Z0-9_]*)\s+((?:" + STRING + r"\s*\\?\s*)+)$", s, re.M):
            out[m.group(1)] = c_unescape("".join(re.findall(STRING, m.group(2))))
    return out


def source_messages():
    """[(file:line, kind, English)] of every message in api/ and src/."""
    out = []
    macros = _macros()
    files = sorted(glob.glob(os.path.join(REPO, "api", "*.c")) +
                   glob.glob(os.path.join(REPO, "src", "**", "*.c"), recursive=True))
    call_re = re.compile(r"\b(" + "|".join(CALLS) + r")\s*\(")
    for path in files:
        rel = os.path.relpath(path, REPO)
        s = _blank_comments(open(path, encoding="utf-8").read())
        for m in call_re.finditer(s):
            head = s[s.rfind("\n", 0, m.start()) + 1:m.start()]
            if re.search(r"\b(void|int|static|enum \w+|json_t \*)\s*$", head):
                continue  # the definition
            args = _args(s, m.end() - 1)
            for idx, kind in CALLS[m.group(1)].items():
                if idx < len(args):
                    line = s.count("\n", 0, m.start()) + 1
                    lits = _literals(args[idx])
                    name = args[idx].strip()
                    if not lits and name in macros:
                        lits = [macros[name]]
                    for lit in lits:
                        if lit != "%s":
                            out.append((f"{rel}:{line}", kind, lit))
        for m in re.finditer(r"\bN_\(\s*((?:" + STRING + r"\s*)+)\)", s):
            line = s.count("\n", 0, m.start()) + 1
            out.append((f"{rel}:{line}", "*", c_unescape("".join(re.findall(STRING, m.group(1))))))
        for m in re.finditer(r"\.not_found\s*=\s*((?:" + STRING + r"\s*)+)", s):
            line = s.count("\n", 0, m.start()) + 1
            out.append((f"{rel}:{line}", "P", c_unescape("".join(re.findall(STRING, m.group(1))))))
    routes = os.path.join(REPO, "api", "routes.def")
    s = _blank_comments(open(routes, encoding="utf-8").read())
    for m in re.finditer(r"\bROUTE\s*\(", s):
        args = _args(s, m.end() - 1)
        if len(args) >= 7:
            line = s.count("\n", 0, m.start()) + 1
            for lit in _literals(args[6]):
                out.append((f"api/routes.def:{line}", "P", lit))
    return out


def catalogue():
    """[(line, kind, code, English, Chinese)] of messages.def."""
    s = _blank_comments(open(DEF, encoding="utf-8").read())
    out = []
    for m in re.finditer(r"\b(PMSG|EMSG)\(\s*(\w+)\s*,\s*((?:" + STRING + r"\s*)+),\s*((?:" + STRING + r"\s*)+)\)", s):
        line = s.count("\n", 0, m.start()) + 1
        en = c_unescape("".join(re.findall(STRING, m.group(3))))
        zh = c_unescape("".join(re.findall(STRING, m.group(5))))
        out.append((line, "P" if m.group(1) == "PMSG" else "E", m.group(2), en, zh))
    for m in re.finditer(r"\bWORD\(\s*((?:" + STRING + r"\s*)+),\s*((?:" + STRING + r"\s*)+)\)", s):
        line = s.count("\n", 0, m.start()) + 1
        en = c_unescape("".join(re.findall(STRING, m.group(1))))
        zh = c_unescape("".join(re.findall(STRING, m.group(3))))
        out.append((line, "W", None, en, zh))
    return out


def missing():
    have = {}
    for _, kind, _, en, _ in catalogue():
        have.setdefault(en, kind)
    gaps = []
    for where, kind, en in source_messages():
        k = have.get(en)
        if k is None or (kind in "PE" and k not in (kind, "W")):
            gaps.append(f"{where}: {'problem' if kind == 'P' else 'error' if kind == 'E' else 'message'} {en!r}")
    return sorted(set(gaps))




CONV = re.compile(r"%(?:\d+\$)?[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|z|j|t|L)?[a-zA-Z]")


def label(zh):
    """A message's Chinese text as an enum label: conversions become …."""
    return CONV.sub("…", zh).replace("%%", "%")


def codes(kind):
    """{code: Chinese label} of the catalogue's problems (P) or errors (E),
    in the order of messages.def (the first entry of a code labels it)."""
    return {code: label(zh) for code, (_, zh) in meanings(kind).items()}


def meanings(kind):
    """{code: (English, Chinese)} of the first entry of each code of kind."""
    out = {}
    for _, k, code, en, zh in sorted(catalogue()):
        if k == kind and code not in out:
            out[code] = (en, zh)
    return out


SPEC_SCHEMAS = {
    "ProblemCode": ("P", "The machine code of a problem (`Problem.code`): stable, specific to what went wrong, for a client to show its own words. Each problem type (`type`) has a generic code too (its slug with `_`: `not_found`, `validation`), used for a message the catalogue lacks. The texts are in `opengov messages` (code, English, Chinese); `x-enum-descriptions` holds each code's Chinese label, in the order of `enum`."),
    "ErrorCode": ("E", "The machine code of an `errors[]` entry: what is wrong with the member at `pointer` (`required`, `too_long`, `not_a_uuid`, `unknown_field`, ...); `invalid` when the catalogue has no code of its own. `x-enum-descriptions` holds each code's Chinese label, in the order of `enum`."),
}


def spec_block(name):
    kind, desc = SPEC_SCHEMAS[name]
    c = codes(kind)
    q = lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'
    # The description names every code with its English text (the enum
    # test of test_openapi_spec.py holds every enum to that).
    lines = [f"    {name}:", "      type: string", "      description: |", f"        {desc}", ""]
    lines += [f"        - `{k}`: {en}" for k, (en, _) in meanings(kind).items()]
    lines.append("      enum:")
    lines += [f"        - {k}" for k in c]
    lines.append("      x-enum-descriptions:")
    lines += [f"        - {q(v)}" for v in c.values()]
    return "\n".join(lines) + "\n"


def write_spec(path):
    """Rewrites the ProblemCode and ErrorCode schemas of openapi.yaml from
    the catalogue (they are added before Problem when absent)."""
    s = open(path, encoding="utf-8").read()
    for name in SPEC_SCHEMAS:
        block = spec_block(name)
        m = re.search(rf"^    {name}:\n(?:(?:      .*|        .*)?\n)*", s, re.M)
        if m:
            s = s[:m.start()] + block + s[m.end():]
        else:
            i = s.index("\n    Problem:\n") + 1
            s = s[:i] + block + s[i:]
    open(path, "w", encoding="utf-8").write(s)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--list"]:
        for where, kind, en in source_messages():
            print(f"{where}\t{kind}\t{en}")
        sys.exit(0)
    if sys.argv[1:2] == ["--write-spec"]:
        write_spec(os.path.join(REPO, "openapi.yaml"))
        sys.exit(0)
    gaps = missing()
    print("\n".join(gaps))
    sys.exit(1 if gaps else 0)
