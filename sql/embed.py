#!/usr/bin/env python3
"""Writes a C file embedding the migrations given on the command line
(NNN_name.up.sql / .down.sql pairs) as db_migrations[], sorted by version."""
import os
import re
import sys

out, files = sys.argv[1], sys.argv[2:]
migs = {}
for path in files:
    m = re.match(r'^(\d+)_(.+)\.(up|down)\.sql$', os.path.basename(path))
    if not m:
        sys.exit('bad migration file name: ' + path)
    v = int(m.group(1))
    migs.setdefault(v, {'name': m.group(2)})[m.group(3)] = open(path, 'rb').read()


def c_string(data):
    s = data.decode('utf-8')
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n"\n\t"') + '"'


with open(out, 'w') as f:
    f.write('/* Generated from the sql/ migrations by sql/embed.py: do not edit. */\n')
    f.write('#include "challenged/db.h"\n\n')
    f.write('const struct db_migration db_migrations[] = {\n')
    for v in sorted(migs):
        m = migs[v]
        if 'up' not in m or 'down' not in m:
            sys.exit('migration %d lacks its up or down file' % v)
        f.write('\t{ %d, "%s",\n\t%s,\n\t%s },\n' % (v, m['name'], c_string(m['up']), c_string(m['down'])))
    f.write('};\n')
    f.write('const unsigned db_migrations_count = %d;\n' % len(migs))
