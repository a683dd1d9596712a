#!/usr/bin/python3
# SPDX-License-Identifier: ISC
#
# tests/data/smtp_capture.py - a raw SMTP server recording client bytes
"""A raw SMTP server that records every byte a client sends.

Built on asyncio alone (no aiosmtpd) so that nothing is normalised: each
connection's client-to-server stream is written, byte for byte, to
DIR/conn-NNNNNN.raw (NNNNNN counts connections from 000001 in the order
they are accepted). The file is written as DIR/conn-NNNNNN.raw.part while
the connection is open and renamed to .raw when it closes, so a .raw file
is always a complete session. What the server answered goes, with the
same numbering, to DIR/conn-NNNNNN.replies (written the same way, renamed
just before the .raw).

It answers like a pipelining-capable server, processing each complete
command line in the order received, however many arrive together, and
reading a message's data up to the CRLF.CRLF that ends it:

    greeting             220 HOSTNAME ESMTP capture
    EHLO x               250-HOSTNAME, one 250- line per keyword
                         (--ehlo, default "PIPELINING,8BITMIME,SIZE
                         52428800,ENHANCEDSTATUSCODES"), "250 " on the last
    HELO x               250 HOSTNAME
    MAIL                 250 2.1.0 Ok
    RCPT                 250 2.1.5 Ok (or --reply-rcpt ADDRESS=REPLY)
    DATA                 354 End data with <CR><LF>.<CR><LF>, or 554 5.5.1
                         Error: no valid recipients when no RCPT was
                         accepted since MAIL (the client must then not
                         send data; what follows is taken as commands)
    end of data          250 2.0.0 Ok: queued as N (or --reply-data REPLY)
    RSET                 250 2.0.0 Ok
    NOOP                 250 2.0.0 Ok
    QUIT                 221 2.0.0 Bye, then the server closes
    anything else        502 5.5.2 Error: command not recognized

--reply VERB=REPLY replaces the answer to any command verb (e.g.
"MAIL=451 4.3.0 try later"; VERB "." is the end of data and "CONNECT" the
greeting). Command lines end at LF (so a client's bare LF is still seen
as a line end and shows up in the capture); a command line longer than
--max-line (default 4096) octets is answered 500 and skipped. It does not
offer STARTTLS or AUTH. The port is written to --port-file (temporary
file, then rename) once listening; SIGTERM or SIGINT stop the server with
exit status 0 after closing every connection (so every .part becomes
.raw).

Usage: smtp_capture.py --dir DIR --port-file FILE [--host 127.0.0.1|::1]
       [--hostname NAME] [--ehlo KEYWORD,KEYWORD,...]
       [--reply VERB=REPLY]... [--reply-rcpt ADDRESS=REPLY]...
       [--reply-data REPLY] [--max-line N]
"""

import argparse
import asyncio
import itertools
import os
import signal
import sys

from smtp_common import keyed_reply_arg, reply_arg, write_atomic

DEFAULT_EHLO = "PIPELINING,8BITMIME,SIZE 52428800,ENHANCEDSTATUSCODES"


class Capture(asyncio.Protocol):
    """One client connection: record its bytes, answer its commands."""

    def __init__(self, server, number):
        self.srv = server
        self.number = number
        base = os.path.join(server.args.dir, "conn-%06d" % number)
        self.raw_path = base + ".raw"
        self.replies_path = base + ".replies"
        self.raw = open(self.raw_path + ".part", "wb")
        self.replies = open(self.replies_path + ".part", "wb")
        self.buf = bytearray()
        self.in_data = False
        self.scan = 0           # where to resume looking for CRLF.CRLF
        self.rcpts = 0          # RCPTs accepted since MAIL
        self.too_long = False   # skipping the rest of a too long line
        self.closed = False
        self.transport = None

    # asyncio.Protocol

    def connection_made(self, transport):
        self.transport = transport
        self.srv.conns.add(self)
        self.reply("CONNECT",
                   "220 %s ESMTP capture" % self.srv.args.hostname)

    def data_received(self, data):
        self.raw.write(data)
        self.raw.flush()
        if self.closed:
            return
        self.buf += data
        self.process()

    def eof_received(self):
        return False

    def connection_lost(self, exc):
        self.finish()

    # the protocol

    def send(self, text):
        """Send one reply (text without its CRLF) and keep a copy."""
        line = text.encode() + b"\r\n"
        self.replies.write(line)
        self.transport.write(line)
        return text

    def reply(self, verb, default):
        """Send the --reply given for verb, or else default."""
        return self.send(self.srv.replies.get(verb, default))

    def process(self):
        """Handle every complete command line, or the data, in buf."""
        while not self.closed:
            if self.in_data:
                # buf starts where the data starts: find the CRLF.CRLF
                # (or a "." line right at the start: an empty message).
                if self.buf.startswith(b".\r\n"):
                    end = 0
                else:
                    end = self.buf.find(b"\r\n.\r\n", max(self.scan - 4, 0))
                    if end < 0:
                        self.scan = len(self.buf)
                        return
                    end += 2
                del self.buf[:end + 3]
                self.in_data = False
                self.scan = 0
                self.rcpts = 0
                self.srv.messages += 1
                self.reply(".", "250 2.0.0 Ok: queued as %d"
                           % self.srv.messages)
                continue
            nl = self.buf.find(b"\n")
            if nl < 0:
                if len(self.buf) > self.srv.args.max_line:
                    self.buf.clear()        # drop it up to its end
                    self.too_long = True
                return
            line = bytes(self.buf[:nl + 1])
            del self.buf[:nl + 1]
            if self.too_long or len(line) > self.srv.args.max_line:
                self.too_long = False
                self.send("500 5.5.0 Error: line too long")
                continue
            self.command(line.rstrip(b"\r\n"))

    def command(self, line):
        """Answer one command line (without its line end)."""
        verb, _, arg = line.decode("latin-1").partition(" ")
        verb = verb.upper()
        name = self.srv.args.hostname
        if verb == "EHLO":
            lines = [name] + [k for k in self.srv.args.ehlo.split(",") if k]
            self.reply("EHLO", "\r\n".join(
                ("250 " if i == len(lines) - 1 else "250-") + k
                for i, k in enumerate(lines)))
        elif verb == "HELO":
            self.reply("HELO", "250 " + name)
        elif verb == "MAIL":
            self.rcpts = 0
            self.reply("MAIL", "250 2.1.0 Ok")
        elif verb == "RCPT":
            addr = arg.partition("<")[2].partition(">")[0].lower()
            text = self.srv.reply_rcpt.get(addr)
            text = self.send(text) if text else self.reply("RCPT",
                                                           "250 2.1.5 Ok")
            if text.startswith("2"):
                self.rcpts += 1
        elif verb == "DATA":
            if self.rcpts == 0 and "DATA" not in self.srv.replies:
                self.send("554 5.5.1 Error: no valid recipients")
            elif self.reply("DATA", "354 End data with <CR><LF>.<CR><LF>") \
                    .startswith("354"):
                self.in_data = True
        elif verb == "RSET":
            self.rcpts = 0
            self.reply("RSET", "250 2.0.0 Ok")
        elif verb == "NOOP":
            self.reply("NOOP", "250 2.0.0 Ok")
        elif verb == "QUIT":
            self.reply("QUIT", "221 2.0.0 Bye")
            self.closed = True
            self.transport.close()
        else:
            self.reply(verb, "502 5.5.2 Error: command not recognized")

    def finish(self):
        """Close the files and rename them into place, once."""
        if self.raw is None:
            return
        self.srv.conns.discard(self)
        self.replies.close()
        self.raw.close()
        os.replace(self.replies_path + ".part", self.replies_path)
        os.replace(self.raw_path + ".part", self.raw_path)
        self.raw = self.replies = None


class Server:
    """Options, counters and the open connections."""

    def __init__(self, args):
        self.args = args
        self.replies = dict(args.reply)
        self.reply_rcpt = {a.lower(): r for a, r in args.reply_rcpt}
        self.messages = 0
        self.conns = set()
        self.numbers = itertools.count(1)

    def protocol(self):
        return Capture(self, next(self.numbers))


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="A raw SMTP server recording what clients send.")
    p.add_argument("--dir", required=True,
                   help="folder for conn-NNNNNN.raw and .replies")
    p.add_argument("--port-file", required=True,
                   help="where to write the port once listening")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--hostname", default="localhost")
    p.add_argument("--ehlo", default=DEFAULT_EHLO,
                   help="comma-separated EHLO keywords (\"\" for none)")
    p.add_argument("--reply", action="append", type=keyed_reply_arg,
                   default=[], metavar="VERB=REPLY",
                   help="answer REPLY to VERB (. for end of data, "
                   "CONNECT for the greeting)")
    p.add_argument("--reply-rcpt", action="append", type=keyed_reply_arg,
                   default=[], metavar="ADDRESS=REPLY",
                   help="answer REPLY to RCPT TO:<ADDRESS>")
    p.add_argument("--reply-data", type=reply_arg, metavar="REPLY",
                   help="answer REPLY to every end of data")
    p.add_argument("--max-line", type=int, default=4096,
                   help="longest command line accepted, in octets")
    args = p.parse_args(argv)
    args.reply = [(v.upper(), r) for v, r in args.reply]
    if args.reply_data:
        args.reply.append((".", args.reply_data))
    return args


async def serve(args):
    loop = asyncio.get_running_loop()
    os.makedirs(args.dir, exist_ok=True)
    srv = Server(args)
    server = await loop.create_server(srv.protocol, host=args.host,
                                      port=args.port)
    port = server.sockets[0].getsockname()[1]
    write_atomic(args.port_file, b"%d\n" % port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    for conn in list(srv.conns):
        conn.transport.abort()
        conn.finish()


def main(argv=None):
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except OSError as e:
        print("smtp_capture: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
