#!/usr/bin/env python3
"""Writes a C file defining one SQL statement as a char array.

usage: embed_sql.py OUTPUT.c SYMBOL HEADER INPUT.sql

Full-line "--" comments, blank lines and indentation are dropped so the
statement the server prepares (and Postgres logs) stays compact; the .sql
file keeps the explanations."""
import sys

out, symbol, header, src = sys.argv[1:5]
lines = []
with open(src, encoding='utf-8') as f:
    for line in f:
        s = line.strip()
        if not s or s.startswith('--'):
            continue
        lines.append(s)
if not lines:
    sys.exit('no SQL in ' + src)


def c_string(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


with open(out, 'w', encoding='utf-8') as f:
    f.write('/* Generated from %s by embed_sql.py: do not edit. */\n' % src.split('/')[-1])
    f.write('#include "%s"\n\n' % header)
    # The statement is longer than the 4095 bytes C99 promises to support;
    # GCC and Clang take any length.
    f.write('#pragma GCC diagnostic ignored "-Woverlength-strings"\n\n')
    f.write('const char %s[] =\n' % symbol)
    for i, line in enumerate(lines):
        sep = '\\n' if i + 1 < len(lines) else ''
        f.write('\t' + c_string(line)[:-1] + sep + '"\n')
    f.write('\t;\n')
