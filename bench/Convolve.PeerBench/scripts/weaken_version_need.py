#!/usr/bin/env python3
"""Marks one symbol-version requirement of an ELF shared library as weak, in place.

Why: TorchSharp-cpu 0.107.0's libLibTorchSharp.so was linked against a libstdc++ that has
GLIBCXX_3.4.32; Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so the dynamic loader refuses
the library and TorchSharp throws TypeInitializationException. The only symbol bound to that
version is std::ios_base_library_init(), which GCC 13 references without calling it (no
relocation uses it). A version requirement flagged VER_FLG_WEAK is checked but not enforced by
glibc's loader, so after this patch the library loads; nothing else in the file changes.

Usage: weaken_version_need.py LIBRARY VERSION [VERSION...]
Idempotent. The file is rewritten through a temporary file and a rename, so a hard link to the
NuGet cache (if the build made one) is broken rather than patched. Stdlib only.
"""
import os
import struct
import sys

VER_FLG_WEAK = 0x2


def section_headers(data):
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = []
    for i in range(shnum):
        name, kind, _flags, _addr, offset, size, link, _info, _align, _entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        headers.append((name, kind, offset, size, link))
    names_offset = headers[shstrndx][2]
    return [(c_string(data, names_offset + h[0]), *h[1:]) for h in headers]


def c_string(data, offset):
    return data[offset:data.index(b"\0", offset)].decode()


def weaken(path, versions):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    sections = section_headers(data)
    verneed = next((s for s in sections if s[0] == ".gnu.version_r"), None)
    if verneed is None:
        raise SystemExit(f"{path}: no .gnu.version_r section")
    _, _, offset, _, link = verneed
    strings = sections[link][2]
    changed, found = 0, set()
    entry = offset
    while True:
        _version, count, file_name, aux, next_entry = struct.unpack_from("<HHIII", data, entry)
        a = entry + aux
        for _ in range(count):
            _hash, flags, _other, name, next_aux = struct.unpack_from("<IHHII", data, a)
            version = c_string(data, strings + name)
            if version in versions:
                found.add(version)
                if not flags & VER_FLG_WEAK:
                    struct.pack_into("<H", data, a + 4, flags | VER_FLG_WEAK)
                    changed += 1
                print(f"{os.path.basename(path)}: {c_string(data, strings + file_name)} {version} marked weak")
            a += next_aux
        if next_entry == 0:
            break
        entry += next_entry
    missing = set(versions) - found
    if missing:
        print(f"{path}: no requirement {', '.join(sorted(missing))} (nothing to do for it)")
    if changed:
        temporary = path + ".patching"
        with open(temporary, "wb") as f:
            f.write(data)
        os.chmod(temporary, os.stat(path).st_mode)
        os.replace(temporary, path)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    weaken(sys.argv[1], set(sys.argv[2:]))
