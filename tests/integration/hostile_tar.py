#!/usr/bin/env python3
"""Hostile tar archives for t_import_hostile.sh (and the tar fuzz corpus).

hostile_tar.py KIND OUT: write archive KIND to OUT.
"""
import io
import sys
import tarfile


def add(t, name, data, pax=None, size=None):
    ti = tarfile.TarInfo(name)
    ti.size = len(data) if size is None else size
    ti.mode = 0o600
    if pax:
        ti.pax_headers = pax
    t.addfile(ti, io.BytesIO(data))


def sparse(t, name, size, blocks, data):
    add(t, name, data, pax={
        "GNU.sparse.size": str(size),
        "GNU.sparse.numblocks": str(len(blocks)),
        "GNU.sparse.map": ",".join("%d,%d" % b for b in blocks),
    })


def build(kind):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        if kind == "sparse-uaf":
            sparse(t, "disk.raw", 4000000, [(0, 2000000), (0, 10)], b"A" * 2000010)
        elif kind == "sparse-foreign":
            sparse(t, "disk.raw", 4000000, [(0, 100000), (0, 10)], b"A" * 100010)
            add(t, "other.raw", b"FOREIGN-MARKER" * 20000)
        elif kind == "sparse-beyond":
            sparse(t, "disk.raw", 1000, [(0, 10), (2000, 10)], b"A" * 20)
        elif kind == "huge-50":
            sparse(t, "disk.raw", 2 ** 50, [(0, 4096)], b"B" * 4096)
        elif kind == "huge-42":
            sparse(t, "disk.raw", 2 ** 42, [(0, 4096)], b"B" * 4096)
        elif kind == "ctl-name":
            add(t, "evil\n\x1b[31mFAKE.raw", b"C" * 1000)
        elif kind == "hardlink":
            add(t, "a.raw", b"D" * 1000)
            ti = tarfile.TarInfo("b.raw")
            ti.type = tarfile.LNKTYPE
            ti.linkname = "a.raw"
            t.addfile(ti)
        else:
            raise SystemExit("unknown kind " + kind)
    return b.getvalue()


if __name__ == "__main__":
    open(sys.argv[2], "wb").write(build(sys.argv[1]))
