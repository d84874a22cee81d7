#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Validate aegismon's JSON lines against docs/schema/aegismon.schema.json.

usage: validate_json.py SCHEMA FILE...
Every line of every FILE that starts with '{"kind":' is one of ours and must
validate; other lines (text output, a test's own notes) are skipped. Prints
the first errors as FILE:LINE: message; exit 1 when any line is invalid, 2 on
usage errors. Debian's python3-jsonschema (draft 2020-12).
"""
import json
import sys

import jsonschema


KIND_DEF = {"event": "event", "diagnosis": "diagnosis", "check": "check", "action": "action",
            "error": "error", "summary": "traceSummary"}


def by_kind(schema, doc):
    """A validator for the definition of the line's kind (a check's summary
    has its own: told apart by its "elapsed_ms")."""
    name = KIND_DEF.get(doc.get("kind") if isinstance(doc, dict) else None, "event")
    if name == "traceSummary" and "elapsed_ms" in doc:
        name = "checkSummary"
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/" + name, "$defs": schema["$defs"]})


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = checked = 0
    for path in sys.argv[2:]:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                lines = f.readlines()
        except (OSError, UnicodeError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            bad += 1
            continue
        for n, line in enumerate(lines, 1):
            if not line.startswith('{"kind":'):
                continue
            checked += 1
            try:
                doc = json.loads(line)
            except ValueError as e:
                bad += 1
                print(f"{path}:{n}: not JSON: {e}", file=sys.stderr)
                continue
            if validator.is_valid(doc):
                continue
            bad += 1
            if bad <= 5:
                # against the kind's own definition: the reason names the field
                errors = list(by_kind(schema, doc).iter_errors(doc)) or list(validator.iter_errors(doc))
                best = jsonschema.exceptions.best_match(errors)
                where = "/".join(str(p) for p in best.absolute_path)
                print(f"{path}:{n}: {where or '(line)'}: {best.message}\n  {line.strip()[:600]}",
                      file=sys.stderr)
    print(f"schema: {checked} lines checked, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
