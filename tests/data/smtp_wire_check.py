#!/usr/bin/python3
# SPDX-License-Identifier: ISC
#
# tests/data/smtp_wire_check.py - check captured SMTP client streams
"""Check SMTP client streams captured by smtp_capture.py.

Usage: smtp_wire_check.py [--bodies DIR] [--allow-no-quit] FILE...

Each FILE is what one client sent over one connection (a conn-N.raw of
smtp_capture.py); "conn N" in the messages is the number in the file's
name (conn-000003.raw is conn 3), or else the FILE's position among the
arguments. If FILE's name ends in .raw and a .replies file of the same
name is beside it, the server's replies are used to tell whether each DATA
was accepted (354) and so whether data follows; without it every DATA is
taken as accepted.

Violations, each reported as "conn N, offset O: what (FILE)" on standard
error, offsets counted in octets from the start of FILE:

  - a bare LF (not preceded by CR) or a bare CR (not followed by LF),
    anywhere; a NUL octet anywhere;
  - a line longer than its limit, counting its CRLF: 1000 octets for a
    line of message data (RFC 5321 4.5.3.1.6), 512 for a command line
    (4.5.3.1.4) except MAIL and RCPT (1000, for their parameters) and AUTH
    (12288, RFC 4954);
  - a command that is not well-formed: HELO or EHLO with anything but one
    domain or address literal; MAIL not exactly "MAIL FROM:<reverse-path>"
    with optional " KEYWORD[=VALUE]" parameters, RCPT not exactly "RCPT
    TO:<forward-path>" likewise, the path a Local-part@Domain mailbox
    (<> allowed for MAIL, <Postmaster> for RCPT); DATA, RSET, QUIT or
    STARTTLS with an argument; an empty line; an unknown verb; an 8-bit
    octet outside a MAIL or RCPT of a transaction whose MAIL carries
    SMTPUTF8; anything after QUIT;
  - in message data, a line beginning with "." that is not dot-stuffed
    (so neither the ".\\r\\n" ending the data nor starting ".."); an 8-bit
    octet in a message whose MAIL has neither BODY=8BITMIME nor SMTPUTF8;
  - a stream that ends inside DATA, or in the middle of a line, or (unless
    --allow-no-quit) without QUIT.

--bodies DIR: the files of DIR, in name order, are the messages the client
meant to send, one per message in the order sent, across all FILEs in
the order given. Each is normalised as the client must (CRLF, a bare CR
and a bare LF each become CRLF; a CRLF is added at the end of a body that
does not end with one; an empty body stays empty) and must equal the
message data received once un-stuffed (the leading "." of each line that
has one removed), octet for octet.

Exit status 0 and a summary on standard output ("wire ok: F connections,
M messages, N octets, D octets of message data") when all is well; 1 with
each violation (the first 50) otherwise; 2 on a usage error.
"""

import argparse
import os
import re
import sys

ATEXT = rb"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\x80-\xff-]"
DOT_STRING = rb"%s+(?:\.%s+)*" % (ATEXT, ATEXT)
QUOTED = rb'"(?:[\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x20-\x7e])*"'
LABEL = rb"[A-Za-z0-9\x80-\xff](?:[A-Za-z0-9\x80-\xff-]*[A-Za-z0-9\x80-\xff])?"
DOMAIN = rb"%s(?:\.%s)*" % (LABEL, LABEL)
ADDRESS_LITERAL = rb"\[[\x21-\x5a\x5e-\x7e]+\]"
MAILBOX = rb"(?:%s|%s)@(?:%s|%s)" % (DOT_STRING, QUOTED, DOMAIN,
                                     ADDRESS_LITERAL)
ESMTP_VALUE = rb"[\x21-\x3c\x3e-\x7e\x80-\xff]+"
PARAMS = rb"((?: [A-Za-z0-9][A-Za-z0-9-]*(?:=%s)?)*)" % ESMTP_VALUE
RE_MAIL = re.compile(rb"MAIL FROM:<((?:%s)?)>%s" % (MAILBOX, PARAMS),
                     re.IGNORECASE)
RE_RCPT = re.compile(rb"RCPT TO:<(%s|postmaster)>%s" % (MAILBOX, PARAMS),
                     re.IGNORECASE)
RE_HELO = re.compile(rb"(?:%s|%s)" % (DOMAIN, ADDRESS_LITERAL))
RE_VERB = re.compile(rb"[A-Za-z]+")
RE_AUTH = re.compile(rb"[A-Za-z0-9_-]+(?: [A-Za-z0-9+/=]+)?")

NO_ARG = {b"DATA", b"RSET", b"QUIT", b"STARTTLS"}
ANY_ARG = {b"NOOP", b"VRFY", b"EXPN", b"HELP"}
LIMITS = {b"MAIL": 1000, b"RCPT": 1000, b"AUTH": 12288}
COMMAND_LIMIT = 512
DATA_LIMIT = 1000
MAX_REPORTED = 50


class Violations(Exception):
    """Raised when the report limit is reached."""


class Checker:
    """Checks streams one after the other, collecting messages."""

    def __init__(self, allow_no_quit):
        self.allow_no_quit = allow_no_quit
        self.errors = []
        self.bodies = []        # (conn, offset of DATA, un-stuffed body)
        self.octets = 0
        self.data_octets = 0

    def error(self, conn, path, offset, what):
        self.errors.append("conn %d, offset %d: %s (%s)"
                           % (conn, offset, what, path))
        if len(self.errors) >= MAX_REPORTED:
            raise Violations()

    def check(self, conn, path, data, replies):
        """Check one stream; replies: list of reply codes or None."""
        self.octets += len(data)

        def err(offset, what):
            self.error(conn, path, offset, what)

        reply_iter = iter(replies[1:]) if replies else None  # skip greeting
        in_data = False
        quit_at = None
        smtputf8 = eightbit = False
        body = []
        data_start = 0
        pos = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            if nl < 0:
                err(pos, "line not ended (stream ends mid-line)")
                break
            line, end = data[pos:nl + 1], nl + 1
            if nl == pos or data[nl - 1] != 0x0d:
                err(nl, "bare LF")
            # CRs other than the one before the LF.
            stripped = line[:-2] if line.endswith(b"\r\n") else \
                line.rstrip(b"\n")
            cr = stripped.find(b"\r")
            while cr >= 0:
                err(pos + cr, "bare CR")
                cr = stripped.find(b"\r", cr + 1)
            nul = line.find(b"\0")
            if nul >= 0:
                err(pos + nul, "NUL octet")
            if quit_at is not None:
                err(pos, "data after QUIT (sent at offset %d)" % quit_at)
                break
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    self.bodies.append((conn, data_start, b"".join(body)))
                    self.reply(reply_iter)
                    body = []
                else:
                    if len(line) > DATA_LIMIT:
                        err(pos, "data line of %d octets (limit %d)"
                            % (len(line), DATA_LIMIT))
                    if line.startswith(b"."):
                        if not line.startswith(b".."):
                            err(pos, "line starting with '.' not dot-stuffed")
                        line = line[1:]
                    if not eightbit:
                        high = re.search(rb"[\x80-\xff]", line)
                        if high:
                            err(pos + high.start(), "8-bit octet in a "
                                "message sent without BODY=8BITMIME")
                    body.append(line)
                    self.data_octets += len(line)
            else:
                text = stripped.rstrip(b"\r\n")
                verb, ok = self.command(err, pos, line, text, smtputf8)
                code = self.reply(reply_iter)
                if verb == b"MAIL":
                    kw = text.upper().split()[2:]
                    smtputf8 = b"SMTPUTF8" in kw
                    eightbit = smtputf8 or b"BODY=8BITMIME" in kw
                elif verb == b"DATA" and (code == 354 or
                                          code is None and ok):
                    in_data = True
                    data_start = pos
                elif verb == b"QUIT":
                    quit_at = pos
                elif verb == b"RSET":
                    smtputf8 = eightbit = False
            pos = end
        if in_data:
            err(len(data), "stream ends inside DATA (begun at offset %d)"
                % data_start)
        elif quit_at is None and not self.allow_no_quit:
            err(len(data), "stream ends without QUIT")

    @staticmethod
    def reply(reply_iter):
        """The next reply's code (None when replies are not known)."""
        if reply_iter is None:
            return None
        return next(reply_iter, None)

    def command(self, err, pos, line, text, smtputf8):
        """Check one command line; returns its verb (upper case) and
        whether it is well-formed."""
        if not text:
            err(pos, "empty command line")
            return None, False
        m = RE_VERB.match(text)
        verb = m.group().upper() if m else b""
        limit = LIMITS.get(verb, COMMAND_LIMIT)
        if len(line) > limit:
            err(pos, "%s command line of %d octets (limit %d)"
                % (verb.decode() or "a", len(line), limit))
        rest = text[m.end():] if m else text
        show = text[:60].decode("latin-1")
        if not m or (rest and not rest.startswith(b" ")):
            err(pos, "not a command: %r" % show)
            return None, False
        arg = rest[1:]
        high = re.search(rb"[\x80-\xff]", text)
        if high and not (smtputf8 and verb == b"RCPT") and not (
                verb == b"MAIL" and b"SMTPUTF8" in text.upper().split()):
            err(pos + high.start(), "8-bit octet in command %r" % show)
        ok = True
        if verb in (b"HELO", b"EHLO"):
            ok = RE_HELO.fullmatch(arg) is not None
        elif verb == b"MAIL":
            ok = RE_MAIL.fullmatch(text) is not None
        elif verb == b"RCPT":
            ok = RE_RCPT.fullmatch(text) is not None
        elif verb in NO_ARG:
            ok = not rest
        elif verb == b"AUTH":
            ok = RE_AUTH.fullmatch(arg) is not None
        elif verb not in ANY_ARG:
            err(pos, "unknown command %r" % show)
            return verb, False
        if not ok:
            err(pos, "malformed %s command: %r" % (verb.decode(), show))
        return verb, ok


def read_replies(raw_path):
    """Reply codes from the .replies beside a .raw, or None."""
    if not raw_path.endswith(".raw"):
        return None
    path = raw_path[:-4] + ".replies"
    if not os.path.exists(path):
        return None
    codes = []
    with open(path, "rb") as f:
        for line in f.read().split(b"\r\n"):
            # One code per reply: the last line of a multi-line reply.
            if len(line) >= 4 and line[3:4] == b" " or len(line) == 3:
                codes.append(int(line[:3]))
    return codes


def normalise(body):
    """CRLF, bare CR, bare LF -> CRLF; a final CRLF if missing."""
    body = re.sub(rb"\r\n|\r|\n", b"\r\n", body)
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body


def compare_bodies(checker, bodies_dir):
    """Compare the received bodies with the files of bodies_dir."""
    names = sorted(n for n in os.listdir(bodies_dir)
                   if os.path.isfile(os.path.join(bodies_dir, n)))
    got = checker.bodies
    if len(names) != len(got):
        checker.errors.append("%d messages received, %d bodies in %s"
                              % (len(got), len(names), bodies_dir))
    for i, (name, (conn, off, body)) in enumerate(zip(names, got), 1):
        with open(os.path.join(bodies_dir, name), "rb") as f:
            want = normalise(f.read())
        if body == want:
            continue
        at = next((k for k in range(min(len(body), len(want)))
                   if body[k] != want[k]), min(len(body), len(want)))
        checker.errors.append(
            "conn %d, offset %d: message %d differs from %s at body octet "
            "%d: expected %r, received %r (%d octets expected, %d received)"
            % (conn, off, i, name, at, want[at:at + 20], body[at:at + 20],
               len(want), len(body)))


def conn_number(path, index):
    """The N of conn-N in path's name, else index."""
    m = re.search(r"conn-0*(\d+)", os.path.basename(path))
    return int(m.group(1)) if m else index


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Check captured SMTP client streams.")
    p.add_argument("--bodies", metavar="DIR",
                   help="the intended message bodies, one file each")
    p.add_argument("--allow-no-quit", action="store_true",
                   help="a stream may end without QUIT")
    p.add_argument("files", nargs="+", metavar="FILE")
    args = p.parse_args(argv)
    checker = Checker(args.allow_no_quit)
    try:
        for i, path in enumerate(args.files, 1):
            with open(path, "rb") as f:
                data = f.read()
            checker.check(conn_number(path, i), path, data,
                          read_replies(path))
    except Violations:
        checker.errors.append("(stopped after %d violations)" % MAX_REPORTED)
    except OSError as e:
        print("smtp_wire_check: %s" % e, file=sys.stderr)
        return 2
    if args.bodies and len(checker.errors) < MAX_REPORTED:
        compare_bodies(checker, args.bodies)
    if checker.errors:
        for e in checker.errors:
            print(e, file=sys.stderr)
        return 1
    print("wire ok: %d connections, %d messages, %d octets, %d octets of "
          "message data" % (len(args.files), len(checker.bodies),
                            checker.octets, checker.data_octets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
