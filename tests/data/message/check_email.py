#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""tests/data/message/check_email.py - read messages with Python's parser

An independent reader for the messages lib/message writes: message_test
leaves a sample of them in a folder, each NAME.eml beside NAME.json, which
holds what went in (from_name, from_addr, to_name, to_addr, subject, text,
html or null, headers: the expected header names in order). Each message is
parsed with the standard library's email package (policy.default, the
strict, RFC 5322 aware one) and must give back exactly those values: the
display names and the subject decoded from RFC 2047, the bodies decoded
from quoted-printable (line ends compared as LF), with no parse defect.

Two bugs of Python 3.11's structured-header parser change some display
names that are encoded correctly: it keeps the white space between two
adjacent encoded-words (RFC 2047 6.2 says to drop it; CPython gh-128110,
fixed upstream), so a name split over two words gets a space at the split,
and its tokenizer takes a no-break space that follows a space for folding
white space (str.lstrip). When a display name differs and the raw phrase
has one of those two triggers, the name is checked instead with the
standard library's RFC 2047 decoder (email.utils.parseaddr and
email.header.decode_header), which must give it back exactly, and the
modern parser's name must still hold the same characters once white space
is removed. Such names are counted in the summary.

Usage: check_email.py FOLDER. Prints one line per failure and a summary;
exits 0 only if every message passed and there was at least one. With
CHECK_EMAIL_VERBOSE=1 in the environment it also names each display name
checked with email.header.
"""
import email
import email.header
import email.policy
import email.utils
import json
import os
import re
import sys

# Two encoded-words with only white space between them.
ADJACENT_EW = re.compile(r"\?=[ \t\r\n]+=\?")
quirks = 0
current = ""


def raw_value(msg, field):
    for name, value in msg.raw_items():
        if name == field:
            return re.sub(r"\r?\n(?=[ \t])", "", value)
    return None


def rfc2047_name(raw):
    name, _ = email.utils.parseaddr(raw)
    return str(email.header.make_header(email.header.decode_header(name)))


def no_ws(s):
    return re.sub(r"\s+", "", s)


def norm(s):
    return s.replace("\r\n", "\n").replace("\r", "\n")


def defects(node, what, out):
    found = list(getattr(node, "defects", []) or [])
    if found:
        out.append("%s: defects %r" % (what, found))


def check_mailbox(msg, field, name, addr, out):
    hdr = msg[field]
    if hdr is None:
        out.append("%s missing" % field)
        return
    defects(hdr, field, out)
    addrs = hdr.addresses
    if len(addrs) != 1:
        out.append("%s holds %d addresses: %r" % (field, len(addrs), str(hdr)))
        return
    got = addrs[0]
    want = name or ""
    if got.display_name != want:
        global quirks
        raw = raw_value(msg, field) or ""
        trigger = (ADJACENT_EW.search(raw) or
                   re.search("(^|[ \t])\u00a0", want))
        if (trigger and rfc2047_name(raw) == want and
                no_ws(got.display_name) == no_ws(want)):
            quirks += 1
            if os.environ.get("CHECK_EMAIL_VERBOSE"):
                print("%s: %s name %r read by Python as %r" % (
                    current, field, want, got.display_name))
        else:
            out.append("%s name %r != %r" % (field, got.display_name, want))
    if got.addr_spec != addr:
        out.append("%s address %r != %r" % (field, got.addr_spec, addr))


def check_part(part, ctype, text, what, out):
    if part.get_content_type() != ctype:
        out.append("%s is %s, not %s" % (what, part.get_content_type(), ctype))
        return
    defects(part, what, out)
    got = part.get_content()
    if norm(got) != norm(text):
        out.append("%s: %r != %r" % (what, got[:200], text[:200]))


def check(path_eml, path_json):
    out = []
    with open(path_json, encoding="utf-8") as f:
        want = json.load(f)
    with open(path_eml, "rb") as f:
        data = f.read()
    msg = email.message_from_bytes(data, policy=email.policy.default)
    defects(msg, "message", out)
    if list(msg.keys()) != want["headers"]:
        out.append("header names %r != %r" % (list(msg.keys()),
                                               want["headers"]))
    check_mailbox(msg, "From", want["from_name"], want["from_addr"], out)
    check_mailbox(msg, "To", want["to_name"], want["to_addr"], out)
    subject = msg["Subject"]
    defects(subject, "Subject", out)
    if str(subject) != want["subject"]:
        out.append("Subject %r != %r" % (str(subject), want["subject"]))
    if want["html"] is None:
        check_part(msg, "text/plain", want["text"], "text body", out)
    else:
        if msg.get_content_type() != "multipart/alternative":
            out.append("not multipart/alternative")
        else:
            parts = list(msg.iter_parts())
            if len(parts) != 2:
                out.append("%d parts" % len(parts))
            else:
                check_part(parts[0], "text/plain", want["text"],
                           "text part", out)
                check_part(parts[1], "text/html", want["html"],
                           "html part", out)
    return out


def main():
    if len(sys.argv) != 2:
        print("usage: check_email.py FOLDER", file=sys.stderr)
        return 2
    folder = sys.argv[1]
    names = sorted(n[:-4] for n in os.listdir(folder) if n.endswith(".eml"))
    failed = 0
    global current
    for n in names:
        current = n
        try:
            problems = check(os.path.join(folder, n + ".eml"),
                             os.path.join(folder, n + ".json"))
        except Exception as e:  # a parser crash is a failure too
            problems = ["exception %r" % e]
        for p in problems:
            print("%s: %s" % (n, p))
        failed += bool(problems)
    print("check_email: %d messages, %d failed; %d display names checked "
          "with email.header for Python 3.11's gh-128110/no-break space "
          "bugs" % (len(names), failed, quirks))
    return 0 if names and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
