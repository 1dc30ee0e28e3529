#!/usr/bin/env python3
"""Writes a C file embedding the Swagger document and the docs page.

Usage: embed.py OUT.c api.json index.html

The document is checked (Swagger 2.0, a basePath, every path with at least one
operation, every $ref resolvable) and re-indented with two spaces, as the
reference serves it. It is split around its basePath value so the server can
put BASE_PATH there once at start-up. Data is written as byte arrays: ISO C
only promises string literals of 4095 bytes (-Woverlength-strings).
"""
import json
import sys

MARK = '@@BASE_PATH@@'


def fail(msg):
    sys.exit('embed.py: ' + msg)


def check_refs(node, definitions, where):
    if isinstance(node, dict):
        ref = node.get('$ref')
        if ref is not None:
            prefix = '#/definitions/'
            if not ref.startswith(prefix) or ref[len(prefix):] not in definitions:
                fail('%s: unresolved $ref %s' % (where, ref))
        for k, v in node.items():
            check_refs(v, definitions, where + '/' + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            check_refs(v, definitions, '%s/%d' % (where, i))


def load_doc(path):
    with open(path, encoding='utf-8') as f:
        doc = json.load(f)
    if doc.get('swagger') != '2.0':
        fail(path + ': not a Swagger 2.0 document')
    if not isinstance(doc.get('basePath'), str):
        fail(path + ': no basePath')
    methods = {'get', 'put', 'post', 'delete', 'patch', 'head', 'options'}
    for p, item in doc.get('paths', {}).items():
        if not methods & set(item):
            fail('%s: path %s has no operation' % (path, p))
    check_refs(doc, doc.get('definitions', {}), '#')
    return doc


def c_bytes(name, data):
    lines = []
    for i in range(0, len(data), 16):
        lines.append('\t' + ' '.join('0x%02x,' % b for b in data[i:i + 16]))
    body = '\n'.join(lines) if lines else '\t0'
    return ('const char %s[] = {\n%s\n};\nconst size_t %s_len = %d;\n\n'
            % (name, body, name, len(data)))


def main():
    if len(sys.argv) != 4:
        fail('usage: embed.py OUT.c api.json index.html')
    out, json_path, html_path = sys.argv[1:]
    doc = load_doc(json_path)
    doc['basePath'] = MARK
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    parts = text.split(json.dumps(MARK))
    if len(parts) != 2:
        fail(json_path + ': the basePath marker is not unique')
    with open(html_path, 'rb') as f:
        html = f.read()
    with open(out, 'w') as f:
        f.write('/* Generated from src/api/apidocs/api.json and index.html by embed.py: do not edit. */\n')
        f.write('#include "apidocs/embedded.h"\n\n')
        f.write(c_bytes('api_apidocs_json_head', parts[0].encode('utf-8')))
        f.write(c_bytes('api_apidocs_json_tail', parts[1].encode('utf-8')))
        f.write(c_bytes('api_apidocs_html', html))


main()
