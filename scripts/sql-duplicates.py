#!/usr/bin/env python3
"""Counts the SQL statements written twice in the server's storage: a statement is a C# string literal (plain,
verbatim or raw) that starts with SELECT, INSERT, UPDATE or DELETE; two are the same when they match after
lower-casing, collapsing white space and replacing every parameter ($name, $1, @name) with ?. Prints how many
statements of src/Parley.Server/Storage/Postgres also stand in src/Parley.Server/Storage/Sqlite (and lists them)."""
import pathlib, re, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "src/Parley.Server/Storage"
literal = re.compile(r'\$?"""(.*?)"""|\$?@?"((?:[^"\\\n]|\\.|"")*)"', re.S)
verb = re.compile(r"^\s*(select|insert|update|delete)\b", re.I)

def statements(folder):
    found = set()
    for path in sorted((root / folder).glob("*.cs")):
        for m in literal.finditer(path.read_text()):
            text = m.group(1) if m.group(1) is not None else m.group(2)
            if not verb.match(text):
                continue
            text = re.sub(r"[$@][A-Za-z0-9_]+", "?", text.lower())
            found.add(re.sub(r"\s+", " ", text).strip())
    return found

sqlite, postgres = statements("Sqlite"), statements("Postgres")
both = sorted(sqlite & postgres)
for statement in both:
    print("  " + statement[:140])
print(f"{len(both)} statements in both engines' folders ({len(sqlite)} in Sqlite, {len(postgres)} in Postgres)")
