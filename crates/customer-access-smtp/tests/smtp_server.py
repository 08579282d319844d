"""A real SMTP server (aiosmtpd) on loopback for the customer-access-smtp tests.

usage: smtp_server.py PORT OUTDIR MODE [CERT KEY]
  MODE accept   - store every message
       reject4xx - store it, then answer 451 (try again later)
       reject5xx - store it, then answer 554 (rejected)
  With CERT and KEY, STARTTLS is offered and required before MAIL FROM.

Each message is written to OUTDIR as N.eml (raw) and N.json (parsed with the standard
library: recipients, headers, and the decoded text and HTML parts). Prints READY when
listening; exits when stdin closes.
"""
import json
import os
import ssl
import sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outdir, mode):
        self.outdir = outdir
        self.mode = mode
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.outdir, str(self.count))
        raw = envelope.original_content or envelope.content
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        parts = {}
        for part in msg.walk():
            if part.get_content_type() in ("text/plain", "text/html") and not part.is_multipart():
                parts[part.get_content_type()] = part.get_content()
        record = {
            "rcpt_tos": envelope.rcpt_tos,
            "mail_from": envelope.mail_from,
            "headers": {k: str(v) for k, v in msg.items()},
            "content_type": msg.get_content_type(),
            "text": parts.get("text/plain", ""),
            "html": parts.get("text/html", ""),
            "tls": session.ssl is not None,
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(record, f)
        os.rename(base + ".json.tmp", base + ".json")
        if self.mode == "reject4xx":
            return "451 4.3.0 Temporarily unable to accept, try again later"
        if self.mode == "reject5xx":
            return "554 5.7.1 Message rejected"
        return "250 2.0.0 OK"


def main():
    port, outdir, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    kwargs = {}
    if len(sys.argv) > 5:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[4], sys.argv[5])
        kwargs = {"tls_context": context, "require_starttls": True}
    controller = Controller(Handler(outdir, mode), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("READY", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
