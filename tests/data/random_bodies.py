#!/usr/bin/python3
# SPDX-License-Identifier: ISC
#
# tests/data/random_bodies.py - random message bodies that break naive
# SMTP clients
"""Write random message bodies made to break a naive SMTP client.

Usage: random_bodies.py --seed S --count N --out DIR [--sent DIR]
       [--expect FILE] [--no-8bitmime] [--no-eightbit] [--refused-rate R]

Writes DIR/NNNNNN (zero-padded from 000000, so that name order is index
order, as pool_send -d takes them) until N of the bodies are ones the
client must send; the bodies it must refuse are written among them, about
one in 1/R (R = --refused-rate, 0.01 by default), so the total is a little
over N. The same seed gives the same files.

What the bodies hold, mixed at random: lines starting with ".", "..",
"...", a lone "." line, "\\r\\n.\\r\\n", "\\n.\\n", "\\r.\\r" and other
ends of data spelt with bare line ends in mid-line, line ends that are
CRLF, bare CR, bare LF, "\\r\\r\\n" or "\\n\\r", control octets, 8-bit
octets (valid UTF-8 and not), lines of 997 and 998 octets (with and
without a leading dot), bodies with and without a final line end (or
ending with a bare CR, or with "."), empty bodies, bodies of line ends
only, and plain CRLF bodies without dots (the client's fast path).

What the client must refuse (lib/smtp/smtp.h, smtp_body_check): a body
with a NUL octet, or with a line over 998 octets as sent, CRLF excluded,
a leading "." counting twice since it is doubled (so 998 octets starting
with "." is refused, and 999, 1000, 5000 octets are); lines end at CRLF,
bare CR or bare LF. With --no-8bitmime, for a server that does not offer
8BITMIME, a body with an 8-bit octet is refused too (SMTP_OUT_LOCAL; the
message must be marked eightbit, as pool_send -8 does). A body's fate is
decided by is_refused() below from its octets alone, an implementation of
that rule independent of the client's. With --no-eightbit no body has an
8-bit octet.

--sent DIR: hard links (or copies) to the bodies the client must send,
under the same names, for smtp_wire_check.py --bodies. --expect FILE: one
line per body, "INDEX SENT -" or "INDEX LOCAL WHY", INDEX counted from 0
as pool_send prints it, WHY "nul", "line:N" (the first line too long,
numbered from 1 as the client numbers it in its refusal) or "8bit". A
summary goes to standard output: "bodies: T written, N to send, L to
refuse, O octets".
"""

import argparse
import os
import random
import re
import sys

LINE_MAX = 998          # SMTP_BODY_LINE_MAX: octets of a line, CRLF excluded

PRINTABLE = bytes(range(0x20, 0x7f))
CONTROLS = bytes(c for c in range(1, 0x20) if c not in (0x0a, 0x0d)) + \
    b"\x7f"
HIGH = bytes(range(0x80, 0x100))
UTF8_WORDS = ["été", "Straße", "naïve", "Ελλάδα", "日本語", "😀", "ça va",
              "Zürich", "€100"]

# Line ends and their weights: mostly CRLF, with every bare kind.
ENDS = [(b"\r\n", 60), (b"\n", 15), (b"\r", 10), (b"\r\r\n", 5),
        (b"\n\r", 4), (b"\r\n\r\n", 3), (b"\n\n", 3)]
# Ends of data and near misses, put inside a line.
FRAGMENTS = [b"\r\n.\r\n", b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n",
             b"\r\n.\r", b"\r.\n", b".\r\n", b"\r\n..\r\n", b"\n..\n",
             b"\r\n.", b"\n.", b"\r.", b"\r\n. \r\n", b"\r\n.\r\r\n",
             b"\r\nQUIT\r\n", b"\r\n.\r\nMAIL FROM:<x@evil.example>\r\n"]
# Lines the client must send, whose length is at the limit or near it.
EDGE_OK = [(997, b""), (998, b""), (996, b"."), (997, b"."), (998, b"x"),
           (1, b"."), (2, b".")]
# Lines it must refuse: (length, first octet).
EDGE_BAD = [(999, b""), (1000, b""), (5000, b""), (998, b"."), (999, b"."),
            (1001, b"")]


def weighted(rng, pairs):
    """One item of (item, weight) pairs."""
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def table(alphabet):
    """A bytes.translate table taking any octet into alphabet."""
    return bytes(alphabet[i % len(alphabet)] for i in range(256))


T_PRINTABLE = table(PRINTABLE)
T_CONTROLS = table(PRINTABLE + CONTROLS)
T_HIGH = table(PRINTABLE + HIGH)


def text(rng, n, tab=T_PRINTABLE):
    """n random octets through tab (a table())."""
    return rng.randbytes(n).translate(tab)


def fill(rng, n, first=b""):
    """A line of exactly n octets starting with first (or else not with
    "."), of printable ASCII: a short random run repeated."""
    if n <= len(first):
        return first[:n]
    unit = text(rng, rng.randint(1, 64))
    body = (unit * (n // len(unit) + 1))[:n - len(first)]
    if not first and body.startswith(b"."):
        body = b"x" + body[1:]
    return first + body


def line(rng, eightbit):
    """One random line, without its line end."""
    k = rng.random()
    if k < 0.45:
        return text(rng, min(int(rng.expovariate(1 / 40)), 200))
    if k < 0.57:
        return rng.choice([b".", b"..", b"...", b". ", b".x", b"..x",
                           b".\t", b"........", b".end"])
    if k < 0.65:
        return b"." + text(rng, rng.randint(0, 60))
    if k < 0.72:
        return b""
    if k < 0.78:
        return text(rng, rng.randint(0, 40), T_CONTROLS)
    if k < 0.84 and eightbit:
        word = rng.choice(UTF8_WORDS).encode()
        return text(rng, rng.randint(0, 20)) + word + \
            text(rng, rng.randint(0, 20))
    if k < 0.88 and eightbit:
        return text(rng, rng.randint(1, 30), T_HIGH)
    if k < 0.96:
        # A line with an end of data (or near miss) in it.
        a = text(rng, rng.randint(0, 20))
        return a + rng.choice(FRAGMENTS) + text(rng, rng.randint(0, 20))
    if k < 0.98:
        return b"From " + text(rng, rng.randint(0, 20))
    return b"Subject: " + text(rng, rng.randint(0, 30))


def mixed(rng, eightbit):
    """A body of random lines and line ends."""
    parts = []
    for _ in range(rng.randint(1, 30)):
        parts.append(line(rng, eightbit))
        parts.append(weighted(rng, ENDS))
    if rng.random() < 0.12:
        # One line at the limit or near it, anywhere.
        n, first = rng.choice(EDGE_OK)
        at = 2 * rng.randrange(len(parts) // 2 + 1)
        parts[at:at] = [fill(rng, n, first), weighted(rng, ENDS)]
    body = b"".join(parts)
    r = rng.random()
    if r < 0.25:
        body = body[:-1] if body.endswith(b"\n") else body  # end opened
        body = body[:-1] if body.endswith(b"\r") else body
    elif r < 0.30:
        body += b"."                  # ends with a dot, no line end
    elif r < 0.35:
        body += b"\r"                 # ends with a bare CR
    return body


def plain(rng):
    """CRLF lines, no leading dot: what the client copies in one go."""
    lines = [b"From: <a@example.org>", b"Subject: plain", b""]
    for _ in range(rng.randint(1, 25)):
        lines.append(text(rng, rng.randint(1, 76)).lstrip(b".") or b"x")
    return b"\r\n".join(lines) + b"\r\n"


def tiny(rng):
    """A body of a few octets: the corner cases of start and end."""
    return rng.choice([b".", b"..", b".\r\n", b"\r\n", b"\n", b"\r",
                       b"\r\n.\r\n", b"\n.\n", b".\n", b"\r.\r", b"x",
                       b"...\r\n", b"\r\n\r\n", b"\r\r\n", b"\n\r",
                       b".\r", b"\r\n.", b"\n.", b" ", b"\r\n\r\n.\r\n"])


def sendable(rng, eightbit):
    """A body the client must send (unless 8-bit and no 8BITMIME)."""
    k = rng.random()
    if k < 0.02:
        return b""
    if k < 0.05:
        return tiny(rng)
    if k < 0.12:
        return plain(rng)
    return mixed(rng, eightbit)


def refusable(rng, eightbit):
    """A body the client must refuse: a NUL, or a line too long."""
    body = mixed(rng, eightbit)
    at = rng.randint(0, len(body))
    while 0 < at < len(body) and body[at - 1:at + 1] == b"\r\n":
        at += 1                       # do not split a CRLF
    if rng.random() < 0.3:
        bad = text(rng, rng.randint(0, 5)) + b"\0" + \
            text(rng, rng.randint(0, 5))
    else:
        n, first = rng.choice(EDGE_BAD)
        bad = b"\r\n" + fill(rng, n, first) + b"\r\n"
    return body[:at] + bad + body[at:]


def is_refused(body, eightbit_ok=True):
    """Why the client must refuse body, or None when it must send it:
    "nul", "line:N" (the first line too long, counted from 1) or "8bit",
    checked in this order as smtp_client_mail does."""
    if b"\0" in body:
        return "nul"
    for i, ln in enumerate(re.split(rb"\r\n|\r|\n", body), 1):
        if len(ln) + ln.startswith(b".") > LINE_MAX:
            return "line:%d" % i
    if not eightbit_ok and re.search(rb"[\x80-\xff]", body):
        return "8bit"
    return None


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Write random message bodies that break naive "
        "SMTP clients.")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--count", type=int, required=True,
                   help="how many bodies the client must send")
    p.add_argument("--out", required=True, help="folder for every body")
    p.add_argument("--sent", help="folder for the bodies to be sent")
    p.add_argument("--expect", help="file of INDEX SENT|LOCAL lines")
    p.add_argument("--no-8bitmime", action="store_true",
                   help="the server lacks 8BITMIME: 8-bit bodies are "
                   "refused")
    p.add_argument("--no-eightbit", action="store_true",
                   help="7-bit bodies only")
    p.add_argument("--refused-rate", type=float, default=0.01)
    args = p.parse_args(argv)
    if args.count < 0 or not 0 <= args.refused_rate < 1:
        p.error("bad --count or --refused-rate")

    rng = random.Random(args.seed)
    eightbit = not args.no_eightbit
    width = max(6, len(str(args.count * 2)))
    for d in (args.out, args.sent):
        if d:
            os.makedirs(d, exist_ok=True)
    expect = open(args.expect, "w") if args.expect else None
    index = sent = refused = octets = 0
    while sent < args.count:
        bad = rng.random() < args.refused_rate
        body = refusable(rng, eightbit) if bad else sendable(rng, eightbit)
        why = is_refused(body, not args.no_8bitmime)
        if bad and why is None:
            print("random_bodies: body %d should be refused" % index,
                  file=sys.stderr)
            return 1
        name = "%0*d" % (width, index)
        path = os.path.join(args.out, name)
        with open(path, "wb") as f:
            f.write(body)
        octets += len(body)
        if why is None:
            sent += 1
            if args.sent:
                try:
                    os.link(path, os.path.join(args.sent, name))
                except OSError:
                    with open(os.path.join(args.sent, name), "wb") as f:
                        f.write(body)
        else:
            refused += 1
        if expect:
            expect.write("%d %s\n" % (index, "SENT -" if why is None
                                      else "LOCAL " + why))
        index += 1
    if expect:
        expect.close()
    print("bodies: %d written, %d to send, %d to refuse, %d octets"
          % (index, sent, refused, octets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
