#!/usr/bin/python3
# SPDX-License-Identifier: ISC
#
# tests/data/render_dkim_check.py - verify every DKIM signature of the
# messages in a folder with Debian's python3-dkim (dkimpy), an
# implementation independent of clarion's.
#
# usage: render_dkim_check.py FOLDER
# FOLDER holds *.eml messages and dns.txt, the key records as
# "NAME VALUE" lines. Every signature of every message must verify;
# then a copy of one message with a body byte changed, and one with a
# signed header changed, must not. Exit 0 if all of that holds.
import os
import sys

import dkim


def main(folder):
    records = {}
    with open(os.path.join(folder, "dns.txt")) as f:
        for line in f:
            name, _, value = line.rstrip("\n").partition(" ")
            records[name + "."] = value.encode()

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return records.get(name if name.endswith(".") else name + ".")

    files = sorted(n for n in os.listdir(folder) if n.endswith(".eml"))
    signatures = 0
    for n in files:
        with open(os.path.join(folder, n), "rb") as f:
            msg = f.read()
        d = dkim.DKIM(msg)
        count = msg.count(b"\r\nDKIM-Signature:") + msg.startswith(
            b"DKIM-Signature:")
        if count == 0:
            print(f"{n}: no DKIM-Signature")
            return 1
        for i in range(count):
            if not d.verify(idx=i, dnsfunc=dnsfunc):
                print(f"{n}: signature {i} does not verify")
                return 1
            signatures += 1
    def verifies(m):
        # dkimpy raises on some failures (a body hash mismatch) and
        # returns False on others: both are a refusal.
        try:
            return dkim.DKIM(m).verify(dnsfunc=dnsfunc)
        except dkim.DKIMException:
            return False

    # The signatures must also be able to fail.
    with open(os.path.join(folder, files[0]), "rb") as f:
        msg = f.read()
    body = msg.index(b"\r\n\r\n") + 4
    tampered = msg[:body] + msg[body:].replace(b"e", b"E", 1)
    if verifies(tampered):
        print("a changed body still verifies")
        return 1
    tampered = msg.replace(b"\r\nSubject: ", b"\r\nSubject: X", 1)
    if verifies(tampered):
        print("a changed subject still verifies")
        return 1
    print(f"python3-dkim: {signatures} signatures on {len(files)} messages"
          " verified; tampered copies refused")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
