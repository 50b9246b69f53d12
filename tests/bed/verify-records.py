#!/usr/bin/env python3
"""Check a copy of the guest writer's records file.

Every complete line must be "SEQ MD5(virtvault-record-SEQ)" with SEQ
consecutive from 1 (or from --first). The last line may be cut short or be
followed by zero bytes (ext4 may have allocated a block the crash did not
fill); anything else is corruption. Prints the number of valid records and
the last one; exits 1 on a problem, naming the line.
"""
import hashlib
import sys


def main():
    args = sys.argv[1:]
    if not args:
        print("usage: verify-records.py FILE [MIN_RECORDS]", file=sys.stderr)
        return 2
    path = args[0]
    minimum = int(args[1]) if len(args) > 1 else 1
    data = open(path, "rb").read()
    stripped = data.rstrip(b"\0")
    lines = stripped.split(b"\n")
    tail = lines.pop()  # after the last newline: empty, or cut short
    expect = 1
    for no, line in enumerate(lines, 1):
        try:
            seq_s, digest = line.decode("ascii").split(" ")
            seq = int(seq_s)
        except (ValueError, UnicodeDecodeError):
            print(f"{path}:{no}: malformed record {line[:60]!r}")
            return 1
        if seq != expect:
            print(f"{path}:{no}: record {seq} where {expect} was expected (gap)")
            return 1
        want = hashlib.md5(f"virtvault-record-{seq}\n".encode()).hexdigest()
        if digest != want:
            print(f"{path}:{no}: record {seq} has a bad checksum")
            return 1
        expect += 1
    if tail and not f"{expect} ".encode().startswith(tail[: len(str(expect)) + 1]):
        print(f"{path}: trailing partial line {tail[:60]!r} is not record {expect}")
        return 1
    count = expect - 1
    if count < minimum:
        print(f"{path}: only {count} records, at least {minimum} expected")
        return 1
    print(f"{count} records valid and consecutive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
