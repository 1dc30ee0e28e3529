#!/usr/bin/python3
"""Flame graphs from `perf script` without outside tools: folds the samples
into one line per distinct stack ("root;...;leaf COUNT"), draws the folded
stacks as a self-contained SVG (hover a frame for its samples), and lists the
top symbols by self and by inclusive samples. Standard library only.

usage: flame.py fold [PERF_SCRIPT_TXT] > out.folded
       flame.py svg --title T [FOLDED] > out.svg
       flame.py top [-n 25] [FOLDED]
       flame.py check [FOLDED] SYMBOL...   (exit 1 unless every SYMBOL appears)
"""

import argparse
import collections
import html
import re
import sys
import zlib

# "    55d0c0a1b2c3 h1_parse_head+0x25 (/repo/build-prof/challenged)"
FRAME = re.compile(r"^\s+([0-9a-fA-F]+)\s+(.*?)\s+\((.*)\)\s*$")
OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")
# Prefixes of the project's own modules (STYLE.md §2), coloured apart.
OURS = re.compile(r"^(rt|h1|h2|dom|api|evt|json|auth|client|obs|db|buf|arena|settings|util|"
                  r"on|handle)_")


def frame_name(sym, dso):
    """The name a frame is folded under; kernel frames get "_[k]"."""
    sym = OFFSET.sub("", sym.strip())
    if not sym or sym == "[unknown]":
        base = dso.rsplit("/", 1)[-1] if dso and dso != "[unknown]" else "unknown"
        return f"[{base}]"
    # Folded lines use ';' between frames and ' ' before the count.
    sym = sym.replace(";", ":").replace(" ", "_")
    if dso.startswith("[kernel") or dso.startswith("[vdso"):
        return sym + "_[k]"
    return sym


def fold(lines):
    """perf script text -> Counter of "comm;root;...;leaf" stacks.

    A caller frame at a function's first byte ("sym+0x0") cannot be a return
    address: the frame-pointer chain went wrong there, typically after a
    library built without frame pointers called back into our code (seen:
    mem_malloc+0x0 repeated to perf's 127-frame limit under libnghttp2). The
    stack is cut at that frame and rooted at "[truncated]" instead."""
    stacks = collections.Counter()
    comm, frames, broken = None, [], False

    def flush():
        if comm is not None and frames:
            root = [comm, "[truncated]"] if broken else [comm]
            stacks[";".join(root + frames[::-1])] += 1

    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            comm, frames, broken = None, [], False
            continue
        if line[0] in " \t":
            m = FRAME.match(line)
            if not m or comm is None or broken:
                continue
            if frames and m.group(2).endswith("+0x0"):
                broken = True
                continue
            frames.append(frame_name(m.group(2), m.group(3)))
            continue
        # Sample header: "comm  pid/tid [cpu] time: period event:"; comm may
        # contain spaces, the pid field is the first all-digit token after it.
        flush()
        tokens = line.split()
        name = []
        for t in tokens:
            if re.fullmatch(r"\d+(/\d+)?", t):
                break
            name.append(t)
        comm = "_".join(name) or "?"
        frames, broken = [], False
    flush()
    return stacks


def read_folded(f):
    stacks = collections.Counter()
    for line in f:
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


class Node:
    __slots__ = ("name", "count", "children")

    def __init__(self, name):
        self.name, self.count, self.children = name, 0, {}


def tree(stacks):
    root = Node("all")
    for stack, n in stacks.items():
        root.count += n
        node = root
        for name in stack.split(";"):
            node = node.children.setdefault(name, Node(name))
            node.count += n
    return root


def colour(name):
    """Red for our functions, orange for the kernel, yellow for the rest;
    the hash only varies the shade so a frame keeps its colour across runs."""
    h = zlib.crc32(name.encode()) & 0xff
    if name.endswith("_[k]"):
        return f"rgb(230,{120 + h % 60},40)"
    if OURS.match(name):
        return f"rgb({200 + h % 55},{60 + h % 50},{50 + h % 30})"
    if name.startswith("["):
        return "rgb(180,180,180)"
    return f"rgb({215 + h % 40},{170 + h % 60},{40 + h % 40})"


def svg(stacks, title, width=1200, row=16):
    root = tree(stacks)
    total = max(root.count, 1)
    scale = (width - 20) / total
    depth = 0
    rects = []

    def walk(node, x, level):
        nonlocal depth
        depth = max(depth, level)
        rects.append((node, x, level))
        cx = x
        for child in sorted(node.children.values(), key=lambda c: c.name):
            if child.count * scale >= 0.3:
                walk(child, cx, level + 1)
            cx += child.count * scale

    walk(root, 10.0, 0)
    height = (depth + 1) * row + 60
    out = [
        '<?xml version="1.0" standalone="no"?>',
        f'<svg version="1.1" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<style>text{font-family:Verdana,sans-serif;font-size:11px;fill:#000}'
        'g:hover rect{stroke:#000;stroke-width:0.5}</style>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f8f8f0"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" style="font-size:16px">'
        f'{html.escape(title)}</text>',
        f'<text x="10" y="{height - 10}">{total} samples; width is the share of samples, '
        'the root is at the bottom; hover a frame for its count</text>',
    ]
    for node, x, level in rects:
        w = node.count * scale
        y = height - 40 - (level + 1) * row
        pct = 100.0 * node.count / total
        name = html.escape(node.name)
        out.append(f'<g><title>{name} ({node.count} samples, {pct:.2f}%)</title>'
                   f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{row - 1}" '
                   f'fill="{colour(node.name)}" rx="2" ry="2"/>')
        chars = int((w - 6) / 7)
        if chars >= 3:
            label = node.name if len(node.name) <= chars else node.name[:chars - 2] + ".."
            out.append(f'<text x="{x + 3:.2f}" y="{y + row - 4}">{html.escape(label)}</text>')
        out.append('</g>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


def top(stacks, n=25):
    """Self samples (the leaf) and inclusive samples (anywhere in the stack,
    counted once per stack so recursion does not inflate it), as text."""
    total = max(sum(stacks.values()), 1)
    self_ = collections.Counter()
    incl = collections.Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")[1:]   # the first frame is the thread name
        if not frames:
            continue
        self_[frames[-1]] += count
        for name in set(frames):
            incl[name] += count
    lines = []
    for label, counter in (("self", self_), ("inclusive", incl)):
        lines.append(f"top {n} symbols by {label} samples (of {total}):")
        for name, count in counter.most_common(n):
            lines.append(f"  {100.0 * count / total:6.2f}%  {count:8d}  {name}")
        lines.append("")
    return "\n".join(lines)


def open_in(path):
    return open(path, encoding="utf-8", errors="replace") if path and path != "-" else sys.stdin


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("fold")
    p.add_argument("input", nargs="?")
    p = sub.add_parser("svg")
    p.add_argument("input", nargs="?")
    p.add_argument("--title", default="Flame graph")
    p.add_argument("--width", type=int, default=1200)
    p = sub.add_parser("top")
    p.add_argument("input", nargs="?")
    p.add_argument("-n", type=int, default=25)
    p = sub.add_parser("check")
    p.add_argument("input")
    p.add_argument("symbols", nargs="+")
    opts = ap.parse_args()

    with open_in(opts.input) as f:
        if opts.cmd == "fold":
            for stack, count in sorted(fold(f).items()):
                sys.stdout.write(f"{stack} {count}\n")
            return 0
        stacks = read_folded(f)
    if opts.cmd == "svg":
        sys.stdout.write(svg(stacks, opts.title, opts.width))
    elif opts.cmd == "top":
        sys.stdout.write(top(stacks, opts.n))
    else:
        seen = {name for stack in stacks for name in stack.split(";")}
        missing = [s for s in opts.symbols if s not in seen]
        if missing:
            print(f"not in any sampled stack: {' '.join(missing)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
