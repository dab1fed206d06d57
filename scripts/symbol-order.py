#!/usr/bin/env python3
"""Writes lld's --symbol-ordering-file from callgrind profiles of mnemoc.

A statically linked mnemoc is 100 MB of code of which a compile runs about
18 MB, spread over the whole binary; every 4 KiB page it touches is mapped
with its neighbours (the kernel's fault-around), so MobileNetV2's compile
held 45 MB of code pages. Linked in the order this file gives (the
functions a compile runs first, then everything else), those pages are
contiguous. scripts/gen-symbol-order.sh runs the profiles; this turns them
into the file:

  symbol-order.py BINARY OUT.gz CALLGRIND_OUT...

BINARY is the non-PIE, unstripped binary the profiles ran (its addresses
are the profile's). Symbols are named as the linker sees them (mangled),
in the order the profiles first ran them; static initializers included.
"""
import bisect
import gzip
import subprocess
import sys


def function_symbols(binary):
    """(address, size, name) of the text symbols of `binary`, sorted."""
    out = subprocess.run(["nm", "-S", "--defined-only", binary],
                         capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTwW":
            syms.append((int(f[0], 16), int(f[1], 16), f[3]))
    syms.sort()
    return syms


def executed_addresses(profile):
    """Instruction addresses in a callgrind profile (--dump-instr=yes
    --compress-pos=no), in the order they first appear."""
    seen = set()
    with open(profile, errors="replace") as f:
        for line in f:
            if line.startswith("0x"):
                a = int(line.split(None, 1)[0], 16)
                if a not in seen:
                    seen.add(a)
                    yield a


def main():
    binary, out, profiles = sys.argv[1], sys.argv[2], sys.argv[3:]
    syms = function_symbols(binary)
    starts = [s[0] for s in syms]
    order, listed, code = [], set(), 0
    for profile in profiles:
        for a in executed_addresses(profile):
            i = bisect.bisect_right(starts, a) - 1
            if i < 0:
                continue
            start, size, name = syms[i]
            if a >= start + max(size, 1) or name in listed:
                continue
            listed.add(name)
            order.append(name)
            code += size
    with gzip.GzipFile(out, "wb", mtime=0) as f:
        f.write(("\n".join(order) + "\n").encode())
    print(f"{len(order)} functions, {code // 1024} KiB of code -> {out}")


if __name__ == "__main__":
    main()
