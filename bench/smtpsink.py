"""A local SMTP server for the production-shape bench and the faults (``python -m
bench.smtpsink --port P --log FILE``): aiosmtpd, accepting every message and appending one line
per message to ``FILE``: the time it was accepted, its Message-ID, its recipient and its
subject, tab-separated. Started, stopped and started again by ``bench/topology.py`` (a mail
server that goes down and comes back)."""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import email.policy
import signal
import time
from pathlib import Path

from aiosmtpd.controller import Controller

_PARSER = email.parser.BytesHeaderParser(policy=email.policy.default)


class Sink:
    def __init__(self, log: Path) -> None:
        self.handle = log.open("a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        headers = _PARSER.parsebytes(envelope.original_content or envelope.content)
        subject = str(headers.get("Subject", "")).replace("\t", " ").replace("\n", " ")
        for recipient in envelope.rcpt_tos:
            self.handle.write(
                f"{time.time():.4f}\t{headers.get('Message-ID', '')}\t{recipient}\t{subject}\n"
            )
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smtpsink")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()
    controller = Controller(Sink(args.log), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"smtpsink: listening on 127.0.0.1:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
