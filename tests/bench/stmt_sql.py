#!/usr/bin/env python3
"""stmt_sql.py - the SQL of a prepared statement of the service, for
scripts/bench.sh to check tests/bench/create_request.sql against the handler.

Usage: cc -E -P ... api/requests.c | stmt_sql.py NAME
Reads preprocessed C (so that macros such as REQUEST_DETAIL_COLUMNS are
expanded into string literals), finds the struct db_stmt initialiser that
DB_STMT(var, "NAME", "..." "...") expands to and prints its SQL with runs of
whitespace collapsed, :name parameters numbered as the service numbers them.
Usage: stmt_sql.py --script NAME FILE prints, the same way, the statement of
`PREPARE NAME AS ...;` in a pgbench script."""
import re
import sys


def from_c(text, name):
    m = re.search(r'\.name\s*=\s*"' + re.escape(name) + r'"\s*,\s*\.sql\s*=((?:\s*"(?:[^"\\]|\\.)*")+)\s*,',
                  text)
    if not m:
        return None
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
    # The escapes SQL text uses; whitespace is collapsed afterwards anyway.
    return re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)),
                  "".join(parts))


def numbered(sql):
    """:name parameters as $1..$n in order of first appearance, as
    db_stmt_parse() (src/db/dbstmt.c) prepares them: quotes, comments and ::
    casts are left alone."""
    names, out, i = [], [], 0
    tok = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|::|:([A-Za-z_]\w*)|.",
                     re.S)
    for m in tok.finditer(sql):
        if m.group(1):
            if m.group(1) not in names:
                names.append(m.group(1))
            out.append("$%d" % (names.index(m.group(1)) + 1))
        else:
            out.append(m.group(0))
    return "".join(out)


def from_script(text, name):
    m = re.search(r"^PREPARE " + re.escape(name) + r" AS\s+(.*?);\s*$", text, re.M | re.S)
    return m.group(1) if m else None


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--script":
        with open(sys.argv[3], encoding="utf-8") as f:
            sql = from_script(f.read(), sys.argv[2])
    elif len(sys.argv) == 2:
        sql = from_c(sys.stdin.read(), sys.argv[1])
        sql = numbered(sql) if sql is not None else None
    else:
        sys.exit(__doc__)
    if sql is None:
        sys.exit("stmt_sql.py: statement %s not found" % sys.argv[-1])
    print(" ".join(sql.split()))


if __name__ == "__main__":
    main()
