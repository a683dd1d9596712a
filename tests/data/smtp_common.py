# SPDX-License-Identifier: ISC
#
# tests/data/smtp_common.py - what the test SMTP servers share
"""Helpers shared by smtp_server.py and smtp_capture.py."""

import argparse
import os


def write_atomic(path, data):
    """Write bytes to path through a temporary file and a rename."""
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def reply_arg(text):
    """argparse type: a reply "CODE TEXT" with a 3-digit code 2xx-5xx."""
    if len(text) < 3 or not text[:3].isdigit() or text[0] not in "2345" \
            or (len(text) > 3 and text[3] != " "):
        raise argparse.ArgumentTypeError("not an SMTP reply: %r" % text)
    return text


def keyed_reply_arg(text):
    """argparse type: KEY=REPLY, returned as (KEY, reply)."""
    key, eq, reply = text.partition("=")
    if not eq or not key:
        raise argparse.ArgumentTypeError("expected KEY=REPLY: %r" % text)
    return key, reply_arg(reply)
