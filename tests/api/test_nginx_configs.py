"""The two nginx configurations agree where they must.

nginx/opengov.conf (production: a conf.d file with http-level directives, an
upstream and the servers) and nginx/opengov-dev.conf.in (the whole
nginx.conf of the local stacks, rendered by scripts/stack.sh) are kept in
step by hand; only the second is exercised by the API suite. This module
parses both with a small tokenizer (directives, blocks, comments, quoted
strings, ${var} and @PLACEHOLDER@) and compares what a client or the
service can tell apart: the locations and their matchers, and, in each
location, every directive in effect there after nginx's inheritance
(http -> server -> location; a level that sets a directive at all replaces
everything the level above set for it, as nginx does for add_header,
fastcgi_param, error_page, limit_req, allow/deny and the rest); the maps,
the login rate-limit zone and the access log's format.

What may differ is listed below, each with its reason: RENAMES (names and
paths that differ on purpose), VALUE_FILTERS (single values one side adds),
ALLOWED (directives that are environment-specific) and ONLY_IN (locations,
maps and blocks one side has). Every entry must still be needed: a stale
allowance fails too. The mutation tests feed altered copies through the same
comparison, so the check cannot pass by comparing nothing.

No network and no stack: plain files.
"""

import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROD = os.path.join(REPO, "nginx", "opengov.conf")
DEV = os.path.join(REPO, "nginx", "opengov-dev.conf.in")


# --------------------------------------------------------------------------
# tokenizer and parser


class ConfError(ValueError):
    pass


class Node:
    """One directive: name, arguments, and its block (None for `name args;`)."""

    def __init__(self, name, args, block, line):
        self.name, self.args, self.block, self.line = name, args, block, line

    def key(self):
        """A comparable value: arguments and, for a block, its content."""
        inner = None if self.block is None else tuple(
            (n.name,) + n.key() for n in self.block)
        return tuple(self.args) + ((inner,) if inner is not None else ())

    def __repr__(self):
        return f"Node({self.name!r}, {self.args!r}, line {self.line})"


PLACEHOLDER_LINE = re.compile(r"^[ \t]*(@[A-Z_]+@)[ \t]*$", re.M)


def tokenize(text):
    """(kind, value, line) for every token: 'word' (quotes removed, escapes
    kept as written), '{', '}' or ';'. Comments run from an unquoted # to the
    end of the line. A placeholder alone on its line (@CORS_MAP@, @USER@:
    stack.sh replaces the whole line) is a statement of its own."""
    text = PLACEHOLDER_LINE.sub(r"\1;", text)
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            yield c, c, line
            i += 1
        elif c in "\"'":
            start_line, j, buf = line, i + 1, []
            while True:
                if j >= n:
                    raise ConfError(f"line {start_line}: unterminated {c}string")
                d = text[j]
                if d == "\\" and j + 1 < n:
                    buf.append(text[j:j + 2])
                    j += 2
                    continue
                if d == c:
                    break
                if d == "\n":
                    line += 1
                buf.append(d)
                j += 1
            yield "word", "".join(buf), start_line
            i = j + 1
        else:
            j, buf = i, []
            while j < n and text[j] not in " \t\r\n;{}\"'":
                if text[j] == "$" and j + 1 < n and text[j + 1] == "{":
                    end = text.find("}", j)
                    if end < 0:
                        raise ConfError(f"line {line}: unterminated ${{")
                    buf.append(text[j:end + 1])
                    j = end + 1
                    continue
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j:j + 2])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            yield "word", "".join(buf), line
            i = j


def parse(text):
    """The list of top-level Nodes."""
    toks = list(tokenize(text))
    pos = 0

    def block(depth):
        nonlocal pos
        out, words, first_line = [], [], None
        while pos < len(toks):
            kind, val, line = toks[pos]
            pos += 1
            if kind == "word":
                if not words:
                    first_line = line
                words.append(val)
            elif kind == ";":
                if not words:
                    raise ConfError(f"line {line}: empty statement")
                out.append(Node(words[0], words[1:], None, first_line))
                words = []
            elif kind == "{":
                if not words:
                    raise ConfError(f"line {line}: block without a name")
                inner = block(depth + 1)
                out.append(Node(words[0], words[1:], inner, first_line))
                words = []
            else:  # }
                if depth == 0:
                    raise ConfError(f"line {line}: unbalanced }}")
                if words:
                    raise ConfError(f"line {line}: directive {words[0]!r} without ;")
                return out
        if depth:
            raise ConfError("unexpected end of file: a block is not closed")
        if words:
            raise ConfError(f"line {first_line}: directive {words[0]!r} without ;")
        return out

    return block(0)


def load(path):
    with open(path, encoding="utf-8") as f:
        return parse(f.read())


# --------------------------------------------------------------------------
# what may differ, and why


# Textual renames applied to every value of one side before comparing.
RENAMES = [
    # (side, pattern, replacement, reason)
    ("prod", r"^/var/cache/opengov/public$", "@EDGE@",
     "where nginx keeps its cache of public reads: a host's directory in production, "
     "the stack's runtime directory in dev (stack.sh fills in @EDGE@)"),
    ("prod", r"\bopengov_", "og_",
     "production's names (variables, zone, captures) carry a longer prefix: its file joins an http{} shared with other sites"),
    ("dev", r"^json$", "og_json", "the access log format's name, prefixed in production for the same reason"),
    ("prod", r"^/srv/opengov/docs", "@DOCS@",
     "where scripts/install-docs.sh put the API docs on the production host"),
    ("dev", r"^@VAR@/docs", "@DOCS@", "the same, under the stack's directory"),
]


def _is_hsts(node):
    return node.name == "add_header" and node.args[:1] == ["Strict-Transport-Security"]


# Single values that one side has and the other need not; dropped before
# comparing. (side, description, predicate on a Node, reason)
VALUE_FILTERS = [
    ("prod", "add_header Strict-Transport-Security", _is_hsts,
     "HSTS belongs to the TLS server; the dev stack speaks plain HTTP on loopback"),
    ("prod", "map $og_cors_origin: its origins", None,
     "the allowed origins are each deployment's (the dev stack renders @CORS_MAP@ from OPENGOV_CORS_ORIGINS)"),
    ("dev", "map $og_cors_origin: @CORS_MAP@", None, "the same, on the template's side"),
]

# Directives whose value is each environment's own, wherever they are in
# effect. (directive, where: a location matcher or "*", only_in: "prod"/"dev"
# when the other side must not set it at all, or None, reason)
ALLOWED = [
    ("listen", "*", None, "addresses and ports: 443/80 in production, loopback and a free port in dev"),
    ("server_name", "*", None, "the public host name vs any name on loopback"),
    ("ssl_certificate", "*", "prod", "TLS is production's; the dev stack is plain HTTP on loopback"),
    ("ssl_certificate_key", "*", "prod", "TLS, as above"),
    ("ssl_protocols", "*", "prod", "TLS, as above"),
    ("ssl_session_cache", "*", "prod", "TLS, as above"),
    ("ssl_session_timeout", "*", "prod", "TLS, as above"),
    ("access_log", "*", None, "log paths and buffering are each host's"),
    ("error_log", "*", None, "log paths are each host's"),
    ("client_body_temp_path", "*", "dev", "the dev stack keeps nginx's temp files under its own directory"),
    ("fastcgi_temp_path", "*", "dev", "temp files, as above"),
    ("proxy_temp_path", "*", "dev", "temp files, as above"),
    ("scgi_temp_path", "*", "dev", "temp files, as above"),
    ("uwsgi_temp_path", "*", "dev", "temp files, as above"),
    ("include", "*", "dev", "the dev file is the whole nginx.conf; production's http{} is the distribution's (mime.types included there)"),
    ("default_type", "*", "dev", "the http{} default type, as above (the problem locations set theirs in both)"),
    ("sendfile", "*", "dev", "http{}-wide tuning, production's is the distribution's nginx.conf"),
    ("tcp_nodelay", "*", "dev", "http{}-wide tuning, as above"),
    ("keepalive_timeout", "*", "dev", "http{}-wide tuning, as above"),
    ("keepalive_requests", "*", "dev", "http{}-wide tuning, as above (make bench keeps connections long)"),
    ("absolute_redirect", "*", "dev", "the dev stack's port is chosen at start: redirects keep the client's host and port"),
    ("fastcgi_connect_timeout", "*", None,
     "production gives up on a worker host after 2 s to fail over to the next; the dev stack has one local socket and a sanitizer build"),
    ("fastcgi_read_timeout", "*", None,
     "both are above the service's 15 s statement timeout; the dev stack runs the slower ASan/UBSan build"),
    ("fastcgi_next_upstream", "*", "prod", "failover between worker hosts; the dev stack has one socket"),
    ("fastcgi_next_upstream_tries", "*", "prod", "failover, as above"),
    ("fastcgi_next_upstream_timeout", "*", "prod", "failover, as above"),
    ("allow", "= /metrics", None, "who may scrape: the monitoring network in production, loopback in dev"),
]

# Locations, maps and top-level blocks only one side has.
ONLY_IN = [
    ("dev", "location", "= /__bench/static", "make bench: nginx's own ceiling, loopback only"),
    ("dev", "location", "= /__bench/fcgi", "make bench: the FastCGI ceiling, loopback only"),
    ("prod", "server", "listen 80", "production redirects plain HTTP to HTTPS"),
    ("dev", "block", "events", "the dev file is the whole nginx.conf: main and events contexts are the distribution's in production"),
]

# The access log's fields: production also logs which worker host answered.
LOG_FORMAT_EXTRA = {"prod": ['"upstream_addr":"$upstream_addr",']}
LOG_FORMAT_REASON = "production has several worker hosts; upstream_addr says which one answered"


# Directives that shape the tree rather than hold a value: compared on their own.
STRUCTURAL = {"http", "server", "location", "map", "upstream", "events", "limit_req_zone",
              "log_format", "if"}
ORDERED = {"allow", "deny"}  # order matters: the first match wins


# --------------------------------------------------------------------------
# the comparison


class Comparison:
    def __init__(self, prod_nodes, dev_nodes):
        self.used = set()
        self.diffs = []
        self.prod = self.layout("prod", prod_nodes)
        self.dev = self.layout("dev", dev_nodes)

    # ---- structure

    def layout(self, side, nodes):
        """(main, http, api server) of one file. The production file is a
        conf.d include: its top level is http-level."""
        if side == "dev":
            https = [n for n in nodes if n.name == "http"]
            if len(https) != 1:
                raise ConfError(f"{side}: expected one http block, found {len(https)}")
            main, http = nodes, https[0].block
        else:
            main, http = [], nodes
        servers = [n for n in http if n.name == "server"]
        api = [s for s in servers if any(
            n.name == "location" and n.args == ["/v1/"] for n in s.block)]
        if len(api) != 1:
            raise ConfError(f"{side}: expected one server with location /v1/, found {len(api)}")
        return {"main": main, "http": http, "server": api[0].block,
                "others": [s for s in servers if s is not api[0]]}

    def norm(self, side, text):
        for i, (s, pat, rep, _reason) in enumerate(RENAMES):
            if s == side:
                new = re.sub(pat, rep, text, flags=re.M)
                if new != text:
                    self.used.add(("rename", i))
                text = new
        return text

    def norm_node(self, side, node):
        block = None if node.block is None else [self.norm_node(side, c) for c in node.block]
        return Node(self.norm(side, node.name), [self.norm(side, a) for a in node.args],
                    block, node.line)

    def filtered(self, side, nodes):
        out = []
        for n in nodes:
            drop = False
            for i, (s, _what, pred, _reason) in enumerate(VALUE_FILTERS):
                if s == side and pred is not None and pred(n):
                    self.used.add(("filter", i))
                    drop = True
            if not drop:
                out.append(n)
        return out

    def diff(self, msg):
        self.diffs.append(msg)

    # ---- locations

    @staticmethod
    def matcher(node):
        return " ".join(node.args)

    def locations(self, side):
        return {self.norm(side, self.matcher(n)): n
                for n in getattr(self, side)["server"] if n.name == "location"}

    def effective(self, side, loc):
        """{directive: [Node, ...]} in effect in a location: the nearest
        level that sets a directive at all gives all of its values."""
        lay = getattr(self, side)
        levels = [lay["http"], lay["server"], loc.block]
        out = {}
        for level in levels:
            names = {n.name for n in level if n.name not in STRUCTURAL}
            for name in names:
                vals = [self.norm_node(side, n) for n in level if n.name == name]
                out[name] = self.filtered(side, vals)
        return {k: v for k, v in out.items() if v}

    def allowed(self, directive, where, prod_vals, dev_vals):
        for i, (d, w, only_in, _reason) in enumerate(ALLOWED):
            if d != directive or (w != "*" and w != where):
                continue
            if only_in == "prod" and dev_vals:
                continue
            if only_in == "dev" and prod_vals:
                continue
            self.used.add(("allowed", i))
            return True
        return False

    @staticmethod
    def values(name, nodes):
        keys = [n.key() for n in nodes]
        return keys if name in ORDERED else sorted(keys)

    def compare_locations(self):
        prod, dev = self.locations("prod"), self.locations("dev")
        only = {"prod": set(prod) - set(dev), "dev": set(dev) - set(prod)}
        for side in ("prod", "dev"):
            for m in sorted(only[side]):
                hit = [i for i, (s, kind, what, _r) in enumerate(ONLY_IN)
                       if s == side and kind == "location" and what == m]
                if hit:
                    self.used.add(("only", hit[0]))
                else:
                    self.diff(f"location {m} only in {side}")
        grouped = {}
        for m in sorted(set(prod) & set(dev)):
            ep, ed = self.effective("prod", prod[m]), self.effective("dev", dev[m])
            for name in sorted(set(ep) | set(ed)):
                pv, dv = self.values(name, ep.get(name, [])), self.values(name, ed.get(name, []))
                if pv == dv or self.allowed(name, m, pv, dv):
                    continue
                grouped.setdefault((name, repr(pv), repr(dv)), []).append(m)
        for (name, pv, dv), where in sorted(grouped.items()):
            self.diff(f"{name} differs in location(s) {', '.join(where)}:\n"
                      f"    prod: {pv}\n    dev:  {dv}")

    # ---- http level: maps, the login zone, the log format, other blocks

    def compare_maps(self):
        def maps(side):
            out = {}
            for n in getattr(self, side)["http"]:
                if n.name == "map":
                    nn = self.norm_node(side, n)
                    out[nn.args[1]] = nn
            return out

        prod, dev = maps("prod"), maps("dev")
        for var in sorted(set(prod) ^ set(dev)):
            self.diff(f"map {var} only in {'prod' if var in prod else 'dev'}")
        for var in sorted(set(prod) & set(dev)):
            p, d = prod[var], dev[var]
            pe, de = p.block, d.block
            if var == "$og_cors_origin":
                # the origins are each deployment's; the default must agree
                for i, entries in ((1, pe), (2, de)):  # VALUE_FILTERS rows
                    if any(e.name != "default" for e in entries):
                        self.used.add(("filter", i))
                pe = [e for e in pe if e.name == "default"]
                de = [e for e in de if e.name == "default"]
            if p.args[0] != d.args[0]:
                self.diff(f"map {var}: source {p.args[0]} (prod) vs {d.args[0]} (dev)")
            pk = [(e.name,) + e.key() for e in pe]
            dk = [(e.name,) + e.key() for e in de]
            if pk != dk:
                self.diff(f"map {var} entries differ:\n    prod: {pk}\n    dev:  {dk}")

    def compare_http_singletons(self):
        def find(side, name):
            return [self.norm_node(side, n) for n in getattr(self, side)["http"] if n.name == name]

        pz, dz = find("prod", "limit_req_zone"), find("dev", "limit_req_zone")

        def zone_key(nodes):
            # the zone's shared-memory size is the host's to choose
            return sorted(tuple(re.sub(r"^(zone=[^:]+):\d+[km]?$", r"\1", a) for a in n.args)
                          for n in nodes)

        if zone_key(pz) != zone_key(dz):
            self.diff(f"limit_req_zone differs:\n    prod: {[n.args for n in pz]}\n"
                      f"    dev:  {[n.args for n in dz]}")

        pl, dl = find("prod", "log_format"), find("dev", "log_format")
        if len(pl) != 1 or len(dl) != 1:
            self.diff(f"expected one log_format on each side, found {len(pl)} and {len(dl)}")
            return
        fmt = {"prod": "".join(pl[0].args[1:]), "dev": "".join(dl[0].args[1:])}
        for side, extras in LOG_FORMAT_EXTRA.items():
            for e in extras:
                if e in fmt[side]:
                    self.used.add(("logextra", side, e))
                    fmt[side] = fmt[side].replace(e, "", 1)
        if pl[0].args[0] != dl[0].args[0] or fmt["prod"] != fmt["dev"]:
            self.diff(f"log_format differs:\n    prod: {pl[0].args}\n    dev:  {dl[0].args}")

    def compare_blocks(self):
        """Top-level blocks and servers only one side has."""
        def blocks(side):
            lay = getattr(self, side)
            names = {n.name for n in lay["http"] if n.block is not None} - {"server", "map"}
            if side == "dev":
                names |= {n.name for n in lay["main"] if n.block is not None} - {"http"}
            return names

        pb, db = blocks("prod"), blocks("dev")
        for side, extra in (("prod", pb - db), ("dev", db - pb)):
            for name in sorted(extra):
                hit = [i for i, (s, kind, what, _r) in enumerate(ONLY_IN)
                       if s == side and kind == "block" and what == name]
                if hit:
                    self.used.add(("only", hit[0]))
                else:
                    self.diff(f"block {name} only in {side}")
        for side in ("prod", "dev"):
            for s in getattr(self, side)["others"]:
                listen = " ".join(n.args[0] for n in s.block if n.name == "listen")
                hit = [i for i, (sd, kind, what, _r) in enumerate(ONLY_IN)
                       if sd == side and kind == "server" and
                       what.split()[1] in listen.split()]
                if hit:
                    self.used.add(("only", hit[0]))
                else:
                    self.diff(f"a server listening on {listen} only in {side}")

    def run(self):
        self.compare_blocks()
        self.compare_locations()
        self.compare_maps()
        self.compare_http_singletons()
        return self.diffs


def compare_texts(prod_text, dev_text):
    c = Comparison(parse(prod_text), parse(dev_text))
    return c.run(), c


def compare_files(prod_path, dev_path):
    with open(prod_path, encoding="utf-8") as f:
        p = f.read()
    with open(dev_path, encoding="utf-8") as f:
        d = f.read()
    return compare_texts(p, d)


def all_allowances():
    out = {("rename", i) for i in range(len(RENAMES))}
    out |= {("filter", i) for i in range(len(VALUE_FILTERS))}
    out |= {("allowed", i) for i in range(len(ALLOWED))}
    out |= {("only", i) for i in range(len(ONLY_IN))}
    out |= {("logextra", side, e) for side, es in LOG_FORMAT_EXTRA.items() for e in es}
    return out


def describe(a):
    kind, i = a[0], a[1]
    if kind == "rename":
        return f"RENAMES[{i}] {RENAMES[i][:3]}"
    if kind == "filter":
        return f"VALUE_FILTERS[{i}] {VALUE_FILTERS[i][:2]}"
    if kind == "allowed":
        return f"ALLOWED[{i}] {ALLOWED[i][:3]}"
    if kind == "only":
        return f"ONLY_IN[{i}] {ONLY_IN[i][:3]}"
    return f"LOG_FORMAT_EXTRA {a[1:]}"


# --------------------------------------------------------------------------
# the tests


def test_configs_agree_where_they_must():
    diffs, _ = compare_files(PROD, DEV)
    assert not diffs, ("nginx/opengov.conf and nginx/opengov-dev.conf.in drift "
                       "(make them agree, or list the difference with its reason "
                       "in this module):\n" + "\n".join(diffs))


def test_every_allowed_difference_is_still_needed():
    _, c = compare_files(PROD, DEV)
    stale = sorted(all_allowances() - c.used)
    assert not stale, ("allowed differences that no longer occur (remove them):\n" +
                       "\n".join(describe(a) for a in stale))


def test_every_allowed_difference_has_a_reason():
    for table in (RENAMES, VALUE_FILTERS, ALLOWED, ONLY_IN):
        for row in table:
            assert isinstance(row[-1], str) and len(row[-1]) > 10, row
    assert LOG_FORMAT_REASON


def test_the_comparison_sees_the_whole_configs():
    """The parse found what the comparison relies on, in both files."""
    _, c = compare_files(PROD, DEV)
    for side in ("prod", "dev"):
        locs = c.locations(side)
        for m in ("/v1/", "= /v1/auth/token", "= /metrics", "= /healthz", "= /readyz",
                  "/docs/", "= /openapi.yaml", "/", "= /__problems/400", "@problem_413",
                  "@problem_503", "~ ^/v1/(requests/[^/]+/materials|findings/[^/]+/evidence)$"):
            assert m in locs, (side, m)
        eff = c.effective(side, locs["/v1/"])
        assert len(eff["fastcgi_param"]) >= 19, side
        assert {n.args[0] for n in eff["error_page"]} >= {"400", "404", "413", "429", "502",
                                                          "503", "504"}, side
        assert eff["client_max_body_size"][0].args == ["1m"], side
        assert eff["gzip"][0].args == ["on"], side
        up = c.effective(side, locs["~ ^/v1/(requests/[^/]+/materials|findings/[^/]+/evidence)$"])
        assert up["client_max_body_size"][0].args == ["11m"], side
        login = c.effective(side, locs["= /v1/auth/token"])
        assert login["limit_req"][0].args[0] == "zone=og_login", side
        assert login["limit_req_status"][0].args == ["429"], side


# ---- the tokenizer


def test_tokenizer_quotes_comments_and_placeholders():
    nodes = parse(
        "# a comment { ; }\n"
        "@USER@\n"
        "map $a $b {\n"
        "    \"~[\\\"#;{}]\" 'x y'; # trailing\n"
        "@CORS_MAP@\n"
        "    default \"\";\n"
        "}\n"
        "add_header X-A \"v; w\" always;\n"
        "set $c ${a}b;\n")
    assert [n.name for n in nodes] == ["@USER@", "map", "add_header", "set"]
    m = nodes[1]
    assert m.args == ["$a", "$b"]
    assert [(e.name, e.args) for e in m.block] == [
        ('~[\\"#;{}]', ["x y"]), ("@CORS_MAP@", []), ("default", [""])]
    assert nodes[2].args == ["X-A", "v; w", "always"]
    assert nodes[3].args == ["$c", "${a}b"]
    assert nodes[2].line == 8


@pytest.mark.parametrize("text", [
    "location / { return 404;",          # a block not closed
    "location / { return 404; } }",      # one } too many
    "gzip on",                           # no ;
    "add_header X \"open;",              # a string not closed
])
def test_tokenizer_refuses_broken_text(text):
    with pytest.raises(ConfError):
        parse(text)


# ---- the check can fail: altered copies must be caught


MUTATIONS = [
    # (id, file, old text, new text, a word the report must contain)
    ("dev-upload-limit", "dev", "client_max_body_size 11m;", "client_max_body_size 12m;",
     "client_max_body_size"),
    ("prod-body-limit", "prod", "    client_max_body_size 1m;", "    client_max_body_size 2m;",
     "client_max_body_size"),
    ("prod-fastcgi-param-dropped", "prod", "    fastcgi_param REMOTE_ADDR       $remote_addr;\n",
     "", "fastcgi_param"),
    ("dev-fastcgi-param-changed", "dev", "fastcgi_param HTTP_PROXY        \"\";",
     "fastcgi_param HTTP_PROXY        $http_proxy;", "fastcgi_param"),
    ("prod-header-dropped", "prod",
     "        add_header Referrer-Policy no-referrer always;\n"
     "        add_header Access-Control-Allow-Origin $opengov_cors_origin always;\n"
     "        add_header Vary \"Origin, Accept-Language\" always;\n"
     "        add_header Content-Language $opengov_lang always;\n"
     "        return 404",
     "        add_header Access-Control-Allow-Origin $opengov_cors_origin always;\n"
     "        add_header Vary \"Origin, Accept-Language\" always;\n"
     "        add_header Content-Language $opengov_lang always;\n"
     "        return 404", "add_header"),
    ("dev-problem-language-dropped", "dev",
     "        add_header Content-Language $og_lang always;\n"
     "            return 404", "            return 404", "add_header"),
    ("dev-csp-changed", "dev", "frame-ancestors 'none'\" always;", "frame-ancestors *\" always;",
     "add_header"),
    ("prod-error-page-dropped", "prod", "    error_page 429 = @problem_429;\n", "", "error_page"),
    ("dev-problem-body-changed", "dev", "\"detail\":\"No resource at this path.\"",
     "\"detail\":\"Nothing here.\"", "og_problem_404"),
    ("prod-problem-chinese-changed", "prod", "\"detail\":\"此路径下没有资源。\"",
     "\"detail\":\"没有。\"", "og_problem_404"),
    ("dev-language-map-changed", "dev", "    default zh-CN;", "    default en;", "og_lang"),
    ("prod-location-added", "prod", "    location = /healthz {",
     "    location = /debug {\n        fastcgi_pass opengov_workers;\n    }\n"
     "    location = /healthz {", "/debug"),
    ("dev-location-matcher-changed", "dev", "location = /readyz {", "location /readyz {",
     "/readyz"),
    ("dev-login-limit", "dev", "limit_req zone=og_login burst=50 nodelay;",
     "limit_req zone=og_login burst=500 nodelay;", "limit_req"),
    ("prod-login-rate", "prod", "zone=opengov_login:10m rate=10r/s;",
     "zone=opengov_login:10m rate=100r/s;", "limit_req_zone"),
    ("prod-gzip-off", "prod", "    gzip on;", "    gzip off;", "gzip"),
    ("dev-gzip-types", "dev", "gzip_types application/json application/problem+json",
     "gzip_types application/problem+json", "gzip_types"),
    ("dev-metrics-open", "dev", "            allow ::1;\n            deny all;\n",
     "            allow ::1;\n", "deny"),
    ("prod-keep-conn", "prod", "fastcgi_keep_conn on;", "fastcgi_keep_conn off;",
     "fastcgi_keep_conn"),
    ("dev-cache-key", "dev", "fastcgi_cache_key \"$request_method $request_uri|",
     "fastcgi_cache_key \"$request_uri|", "fastcgi_cache_key"),
    ("dev-body-limit-map", "dev", "        default 1048576;\n    }\n\n    # The language",
     "        default 2097152;\n    }\n\n    # The language", "og_body_limit"),
    ("prod-cors-default", "prod", "map $http_origin $opengov_cors_origin {\n    default \"\";",
     "map $http_origin $opengov_cors_origin {\n    default \"*\";", "og_cors_origin"),
    ("dev-log-field", "dev", "'\"request_time\":$request_time,'", "'\"rt\":$request_time,'",
     "log_format"),
    ("dev-hide-header-dropped", "dev", "        fastcgi_hide_header X-Request-Id;\n", "",
     "fastcgi_hide_header"),
    ("prod-extra-server", "prod", "\nupstream opengov_workers {",
     "\nserver {\n    listen 8081;\n    location / { return 204; }\n}\n"
     "upstream opengov_workers {", "8081"),
]


@pytest.mark.parametrize("mid,side,old,new,word", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_an_altered_copy_is_caught(tmp_path, mid, side, old, new, word):
    texts = {}
    for s, path in (("prod", PROD), ("dev", DEV)):
        with open(path, encoding="utf-8") as f:
            texts[s] = f.read()
    assert texts[side].count(old) == 1, f"{mid}: the text to alter is not in the file once"
    texts[side] = texts[side].replace(old, new)
    paths = {}
    for s in texts:
        paths[s] = tmp_path / f"{s}.conf"
        paths[s].write_text(texts[s], encoding="utf-8")
    diffs, _ = compare_files(paths["prod"], paths["dev"])
    assert diffs, f"{mid}: the altered copy passed"
    assert any(word in d for d in diffs), (mid, diffs)


# ---- and an allowed difference stays allowed


ALLOWED_MUTATIONS = [
    ("prod-server-name", "prod", "    server_name api.example.gov.cn;                  # CHANGE\n\n    ssl_",
     "    server_name opengov.example.org;\n\n    ssl_"),
    ("dev-read-timeout", "dev", "fastcgi_read_timeout 60s;", "fastcgi_read_timeout 90s;"),
    ("prod-metrics-network", "prod", "allow 10.0.9.0/24;", "allow 192.168.7.0/24;"),
    ("prod-zone-size", "prod", "zone=opengov_login:10m", "zone=opengov_login:32m"),
]


@pytest.mark.parametrize("mid,side,old,new", ALLOWED_MUTATIONS, ids=[m[0] for m in ALLOWED_MUTATIONS])
def test_an_environment_specific_change_passes(mid, side, old, new):
    texts = {}
    for s, path in (("prod", PROD), ("dev", DEV)):
        with open(path, encoding="utf-8") as f:
            texts[s] = f.read()
    assert texts[side].count(old) == 1, f"{mid}: the text to alter is not in the file once"
    texts[side] = texts[side].replace(old, new)
    diffs, _ = compare_texts(texts["prod"], texts["dev"])
    assert not diffs, (mid, diffs)
