#!/usr/bin/python3
# SPDX-License-Identifier: ISC
#
# tests/data/smtp_server.py - an SMTP server for the tests (aiosmtpd)
"""An SMTP server for the tests, built on aiosmtpd (Debian 12's 1.4.3).

It listens on 127.0.0.1 (or --host ::1) on a port the system chooses and,
once listening, writes that port followed by a newline to --port-file
(written to a temporary name, then renamed into place, so a reader never
sees half a number). SIGTERM or SIGINT stop it with exit status 0.

What it advertises after EHLO, in this order (aiosmtpd 1.4.3):

    250-HOSTNAME
    250-SIZE 33554432          (--size N; --size 0: no SIZE and no limit)
    250-8BITMIME
    250-SMTPUTF8               (only with --smtputf8)
    250-STARTTLS               (only with --starttls, before TLS)
    250-AUTH LOGIN PLAIN       (only with --auth, and only once TLS is on
                                unless --no-auth-require-tls)
    250-KEYWORD                (each --advertise KEYWORD)
    250 HELP

aiosmtpd advertises neither PIPELINING nor ENHANCEDSTATUSCODES, DSN or
CHUNKING, and its replies carry no enhanced status codes. It does read
commands one line at a time in arrival order, so a pipelining client is
served correctly; "--advertise PIPELINING" makes it say so. It discards
whatever the client sent after STARTTLS before the handshake (RFC 3207).
MAIL accepts only the SIZE, BODY=7BIT|8BITMIME and (with --smtputf8)
SMTPUTF8 parameters and RCPT none (others: "555 ... not recognized").
HELO or EHLO must come before MAIL ("503 Error: send HELO first").

Messages (--spool DIR): each accepted message becomes DIR/NNNNNN.eml (the
data as received, dot-unstuffed, line ends as sent) and DIR/NNNNNN.json,
numbered from 000001 in the order they end; the .json is written last and
both are renamed into place whole, so counting *.json counts complete
messages. The JSON object has: id, conn (the connection's number, from
1), peer [address, port], helo, esmtp, mail_from, mail_options, rcpt_tos,
rcpt_options, rejected_rcpts, tls (true or false), tls_mode ("starttls",
"implicit" or null), tls_version, tls_cipher, auth_user (or null), size,
reply (what the server answered to the end of data) and time.

Usage: smtp_server.py --port-file FILE [--host ADDR] [--hostname NAME]
       [--starttls CERT KEY [--require-tls] | --implicit-tls CERT KEY]
       [--tls-max 1.2|1.3] [--auth USER:PASSWORD]... [--auth-required]
       [--no-auth-require-tls] [--advertise KEYWORD]... [--size N]
       [--smtputf8] [--spool DIR] [--reply-rcpt ADDRESS=REPLY]...
       [--reply-mail ADDRESS=REPLY]... [--reply-data REPLY] [--log FILE]

--require-tls answers "530 Must issue a STARTTLS command first" to every
command but NOOP, EHLO, STARTTLS and QUIT until TLS is on (aiosmtpd's
require_starttls). With --auth, AUTH PLAIN and AUTH LOGIN accept the given
users ("235 2.7.0 Authentication successful", otherwise "535 5.7.8
Authentication credentials invalid"); before TLS, AUTH gets "538 5.7.11
Encryption required for requested authentication mechanism" unless
--no-auth-require-tls. --auth-required refuses MAIL, RCPT and DATA
without AUTH ("530 5.7.0 Authentication required"). With --implicit-tls
the whole connection is TLS, so AUTH is offered at once.

--reply-rcpt ADDRESS=REPLY answers REPLY (e.g. "550 5.1.1 No such user")
to RCPT TO:<ADDRESS> (compared without regard to case) and leaves that
recipient out; --reply-mail does the same for MAIL FROM, --reply-data
answers REPLY to the end of every message's data (the message is still
spooled, with that reply). --log FILE gets the session log: connections,
each command received (">>") and each reply sent ("<<"), TLS and spool
events.
"""

import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
import ssl
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult
from smtp_common import keyed_reply_arg, reply_arg, write_atomic

log = logging.getLogger("smtp_server")


def address_reply_arg(text):
    """argparse type: ADDRESS=REPLY, returned as (address, reply)."""
    address, reply = keyed_reply_arg(text)
    return address.lower(), reply


def user_arg(text):
    """argparse type: USER:PASSWORD, returned as (user, password)."""
    user, colon, password = text.partition(":")
    if not colon or not user:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD: %r" % text)
    return user, password


class Handler:
    """aiosmtpd handler: EHLO keywords, chosen rejects, the spool."""

    def __init__(self, args):
        self.args = args
        self.reply_rcpt = dict(args.reply_rcpt)
        self.reply_mail = dict(args.reply_mail)
        self.seq = itertools.count(1)
        if args.spool:
            os.makedirs(args.spool, exist_ok=True)

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        if not self.args.auth:
            responses = [r for r in responses if not r.startswith("250-AUTH")]
        extra = ["250-" + k for k in self.args.advertise]
        return responses[:-1] + extra + responses[-1:]

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        reply = self.reply_mail.get(address.lower())
        if reply:
            log.info("conn %d: MAIL FROM:<%s> answered %r", server.conn_id,
                     address, reply)
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.rejected_rcpts = []
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = self.reply_rcpt.get(address.lower())
        if reply:
            log.info("conn %d: RCPT TO:<%s> answered %r", server.conn_id,
                     address, reply)
            getattr(envelope, "rejected_rcpts", []).append(address)
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg_id = "%06d" % next(self.seq)
        reply = self.args.reply_data or "250 OK: queued as " + msg_id
        sslobj = None
        if server.transport is not None:
            sslobj = server.transport.get_extra_info("ssl_object")
        if server.implicit_tls:
            mode = "implicit"
        elif server._tls_protocol is not None:
            mode = "starttls"
        else:
            mode = None
        auth_user = session.auth_data if session.authenticated else None
        meta = {
            "id": msg_id,
            "conn": server.conn_id,
            "peer": list(session.peer[:2]) if session.peer else None,
            "helo": session.host_name,
            "esmtp": session.extended_smtp,
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "rcpt_options": envelope.rcpt_options,
            "rejected_rcpts": getattr(envelope, "rejected_rcpts", []),
            "tls": sslobj is not None,
            "tls_mode": mode,
            "tls_version": sslobj.version() if sslobj else None,
            "tls_cipher": sslobj.cipher()[0] if sslobj else None,
            "auth_user": auth_user,
            "size": len(envelope.original_content),
            "reply": reply,
            "time": time.time(),
        }
        if self.args.spool:
            base = os.path.join(self.args.spool, msg_id)
            write_atomic(base + ".eml", envelope.original_content)
            write_atomic(base + ".json",
                         json.dumps(meta, indent=1).encode() + b"\n")
        log.info("conn %d: message %s from <%s> to %s, %d octets, tls=%s "
                 "(%s %s), auth=%s: %s", server.conn_id, msg_id,
                 envelope.mail_from, ",".join(envelope.rcpt_tos),
                 meta["size"], mode, meta["tls_version"], meta["tls_cipher"],
                 auth_user, reply)
        return reply


def make_authenticator(users):
    """An aiosmtpd authenticator accepting the (user, password) pairs."""
    table = {u.encode(): p.encode() for u, p in users}

    def authenticator(server, session, envelope, mechanism, auth_data):
        login = getattr(auth_data, "login", None)
        password = getattr(auth_data, "password", None)
        ok = login in table and table[login] == password
        log.info("conn %d: AUTH %s as %r: %s", server.conn_id, mechanism,
                 login, "accepted" if ok else "refused")
        if ok:
            return AuthResult(success=True, auth_data=login.decode())
        return AuthResult(success=False, handled=False)
    return authenticator


def tls_context(cert, key, tls_max):
    """A server-side SSLContext for the certificate chain and key."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if tls_max == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class LogFilter(logging.Filter):
    """Keep aiosmtpd's per-line DATA records and a deprecation notice
    that aiosmtpd itself triggers on every AUTH out of the log."""

    def filter(self, record):
        msg = str(record.msg)
        return not (msg.startswith("DATA readline")
                    or msg.startswith("Session.login_data is deprecated")
                    or msg.startswith("auth_required == True but"))


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="An SMTP server for the tests (aiosmtpd).")
    p.add_argument("--port-file", required=True,
                   help="where to write the port once listening")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (127.0.0.1 or ::1)")
    p.add_argument("--port", type=int, default=0,
                   help="port to bind (default 0: any free port)")
    p.add_argument("--hostname", default="localhost",
                   help="name in the greeting and the EHLO reply")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"),
                     help="offer STARTTLS with this certificate and key")
    tls.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"),
                     help="TLS from the first byte (port 465 style)")
    p.add_argument("--require-tls", action="store_true",
                   help="refuse all but NOOP, EHLO, STARTTLS, QUIT "
                   "before STARTTLS")
    p.add_argument("--tls-max", choices=("1.2", "1.3"), default="1.3",
                   help="highest TLS version to accept")
    p.add_argument("--auth", action="append", type=user_arg, default=[],
                   metavar="USER:PASSWORD",
                   help="accept AUTH PLAIN and LOGIN for this user")
    p.add_argument("--auth-required", action="store_true",
                   help="refuse MAIL, RCPT and DATA before AUTH")
    p.add_argument("--auth-require-tls", action=argparse.BooleanOptionalAction,
                   default=True,
                   help="offer and accept AUTH only once TLS is on")
    p.add_argument("--advertise", action="append", default=[],
                   metavar="KEYWORD",
                   help="one more EHLO keyword (e.g. PIPELINING)")
    p.add_argument("--size", type=int, default=2 ** 25,
                   help="message size limit advertised (0: none)")
    p.add_argument("--smtputf8", action="store_true",
                   help="advertise and accept SMTPUTF8")
    p.add_argument("--spool", metavar="DIR",
                   help="write each message and its JSON sidecar here")
    p.add_argument("--reply-rcpt", action="append", type=address_reply_arg,
                   default=[], metavar="ADDRESS=REPLY",
                   help="answer REPLY to RCPT TO:<ADDRESS>")
    p.add_argument("--reply-mail", action="append", type=address_reply_arg,
                   default=[], metavar="ADDRESS=REPLY",
                   help="answer REPLY to MAIL FROM:<ADDRESS>")
    p.add_argument("--reply-data", type=reply_arg, metavar="REPLY",
                   help="answer REPLY to the end of every message")
    p.add_argument("--log", metavar="FILE", help="session log")
    args = p.parse_args(argv)
    if args.require_tls and not args.starttls:
        p.error("--require-tls needs --starttls")
    if args.auth_required and not args.auth:
        p.error("--auth-required needs --auth")
    return args


async def serve(args):
    loop = asyncio.get_running_loop()
    handler = Handler(args)
    starttls_ctx = implicit_ctx = None
    if args.starttls:
        starttls_ctx = tls_context(*args.starttls, args.tls_max)
    if args.implicit_tls:
        implicit_ctx = tls_context(*args.implicit_tls, args.tls_max)
    kwargs = dict(
        hostname=args.hostname,
        ident="ESMTP test server",
        data_size_limit=args.size or None,
        enable_SMTPUTF8=args.smtputf8,
        tls_context=starttls_ctx,
        require_starttls=args.require_tls,
        auth_required=args.auth_required,
        # Under implicit TLS aiosmtpd does not know the connection is
        # encrypted (it tracks STARTTLS only), so it must not insist.
        auth_require_tls=args.auth_require_tls and not args.implicit_tls,
        timeout=60,
    )
    if args.auth:
        kwargs["authenticator"] = make_authenticator(args.auth)
    else:
        kwargs["auth_exclude_mechanism"] = ["LOGIN", "PLAIN"]
    conns = itertools.count(1)

    def factory():
        smtp = SMTP(handler, loop=loop, **kwargs)
        smtp.conn_id = next(conns)
        smtp.implicit_tls = implicit_ctx is not None
        return smtp

    server = await loop.create_server(factory, host=args.host,
                                      port=args.port, ssl=implicit_ctx)
    port = server.sockets[0].getsockname()[1]
    write_atomic(args.port_file, b"%d\n" % port)
    log.info("listening on %s port %d (%s)", args.host, port,
             "implicit TLS" if implicit_ctx else
             "STARTTLS" if starttls_ctx else "plain")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    server.close()


def main(argv=None):
    args = parse_args(argv)
    # aiosmtpd warns against AUTH without TLS, which --implicit-tls means.
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring")
    if args.log:
        logging.basicConfig(
            filename=args.log, level=logging.DEBUG,
            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    else:
        logging.basicConfig(level=logging.WARNING,
                            format="smtp_server: %(message)s")
    for h in logging.getLogger().handlers:
        h.addFilter(LogFilter())
    try:
        asyncio.run(serve(args))
    except OSError as e:
        print("smtp_server: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
