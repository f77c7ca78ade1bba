#!/usr/bin/python3
"""A real SMTP relay for the e-mail tests (Debian's python3-aiosmtpd).

    relay.py PORT DIR [CERT KEY USER PASSWORD]

Listens on 127.0.0.1:PORT and writes every message it takes to DIR/<pid>-<n>.eml (written
to a temporary name, then renamed, before 250 is answered). Recipients at refused.example
are refused with 550, as a relay refuses a mailbox that does not exist. With CERT and KEY it
requires STARTTLS before anything else, and then AUTH (LOGIN or PLAIN) as USER with
PASSWORD, as a submission port (587) does. Stops on SIGTERM.
"""
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Keep:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@refused.example"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        name = "%d-%d.eml" % (os.getpid(), n)
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.folder, name))
        return "250 2.0.0 queued as %d-%d" % (os.getpid(), n)


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    options = {}
    if len(sys.argv) > 3:
        cert, key, user, password = sys.argv[3:7]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

        options = dict(tls_context=context, require_starttls=True, authenticator=authenticate, auth_required=True,
                       auth_require_tls=True)
    controller = Controller(Keep(folder), hostname="127.0.0.1", port=port, **options)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("listening on 127.0.0.1:%d" % port, flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
