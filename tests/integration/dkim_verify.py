#!/usr/bin/python3
# SPDX-License-Identifier: ISC
#
# tests/integration/dkim_verify.py - verify DKIM signatures with python3-dkim
#
# Usage: dkim_verify.py [--crlf] FOLDER
#
# FOLDER holds dns.txt (one TXT record a line, "NAME VALUE", NAME without
# the trailing dot) and messages named *.pass.eml or *.fail.eml. Every
# DKIM-Signature of a .pass message must verify; no DKIM-Signature of a
# .fail message may. DNS is answered from dns.txt only, never the network.
# --crlf turns every LF into CRLF first, for files stored with LF endings
# (the RFC 8463 vectors).
#
# Prints one line per message that does not meet its expectation, then
#   messages=N signatures=S pass=P fail=F mismatches=M
# where P and F count the messages that passed and failed as expected.
# Exit status: 0 if M is 0, 1 if not, 2 on bad usage or no python3-dkim.
#
# This is the independent verifier for clarion's DKIM signer: dkimpy
# shares no code with it (tests/unit/dkim_test.c runs it on 1,000+
# messages clarion signed; tests/integration/dkim_verify.sh checks it
# against third-party vectors).

import os
import re
import sys

try:
    import dkim
except ImportError:
    print("dkim_verify.py: python3-dkim is not installed", file=sys.stderr)
    sys.exit(2)


def load_dns(path):
    records = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line:
                continue
            name, _, value = line.partition(b" ")
            records[name.lower().rstrip(b".")] = value
    return records


def count_signatures(message):
    head = re.split(rb"\r\n\r\n", message, maxsplit=1)[0]
    return len(re.findall(rb"(?im)^dkim-signature[ \t]*:", head))


def main(argv):
    crlf = False
    args = argv[1:]
    if args and args[0] == "--crlf":
        crlf = True
        args = args[1:]
    if len(args) != 1:
        print("usage: dkim_verify.py [--crlf] FOLDER", file=sys.stderr)
        return 2
    folder = args[0]
    records = load_dns(os.path.join(folder, "dns.txt"))

    def dnsfunc(name, timeout=5):
        if isinstance(name, str):
            name = name.encode("ascii")
        return records.get(name.lower().rstrip(b"."))

    messages = signatures = passed = failed = mismatches = 0
    for entry in sorted(os.listdir(folder)):
        if entry.endswith(".pass.eml"):
            want = True
        elif entry.endswith(".fail.eml"):
            want = False
        else:
            continue
        with open(os.path.join(folder, entry), "rb") as f:
            message = f.read()
        if crlf:
            message = message.replace(b"\r\n", b"\n").replace(b"\n",
                                                                b"\r\n")
        messages += 1
        nsig = count_signatures(message)
        signatures += nsig
        results = []
        for idx in range(nsig):
            why = ""
            try:
                ok = dkim.DKIM(message).verify(idx=idx, dnsfunc=dnsfunc)
            except dkim.DKIMException as e:
                ok, why = False, str(e)
            results.append((ok, why))
        if nsig == 0:
            print("%s: no DKIM-Signature" % entry)
            mismatches += 1
        elif want and all(ok for ok, _ in results):
            passed += 1
        elif not want and not any(ok for ok, _ in results):
            failed += 1
        else:
            mismatches += 1
            for idx, (ok, why) in enumerate(results):
                print("%s: signature %d: %s%s" % (
                    entry, idx, "pass" if ok else "fail",
                    " (" + why + ")" if why else ""))
    print("messages=%d signatures=%d pass=%d fail=%d mismatches=%d" % (
        messages, signatures, passed, failed, mismatches))
    return 0 if mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
