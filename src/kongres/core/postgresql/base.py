"""Django's PostgreSQL backend, with a health check that polls the socket instead of asking.

Opt-in: the settings use it only with ``database_health_check = "poll"`` (config key); the
default, ``"query"``, is Django's own backend.

With ``CONN_HEALTH_CHECKS`` (the settings turn it on, so that a restart of the database costs
no request an error) Django checks a persistent connection at the start of each request that
uses it by sending ``SELECT 1``: a round trip per request. On a small machine shared with
PostgreSQL that cost a registration rush about a quarter of its throughput.

A server that ends a connection (a restart, ``pg_terminate_backend``, an idle timeout) tells the
client so, or at least closes the socket, so an idle connection that has been ended has
something to read. Here a connection that is idle and has nothing to read is taken as usable
without a query (one ``poll`` of its socket); otherwise Django's ``SELECT 1`` decides.

What the poll cannot see, so that the request's first query fails instead (as it would after a
``SELECT 1`` that passed a moment before):

* TLS: with ``sslmode`` on, a record the server sent may already sit decrypted in the TLS
  library's buffer in user space, where ``poll`` on the socket does not look;
* a connection pooler (PgBouncer, pgpool): the socket is to the pooler, which keeps it open
  while the server behind it restarts or ends its connection;
* a network cut or a host that vanished without sending FIN or RST: nothing arrives to read
  (``SELECT 1`` would wait for its answer until a TCP timeout there);
* platforms without ``select.poll`` (Windows): there this backend just runs Django's check.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status == TransactionStatus.IDLE and hasattr(select, "poll"):
            try:
                poller = select.poll()
                poller.register(connection.fileno(), select.POLLIN)
                if not poller.poll(0):
                    return True
            except (OSError, ValueError):  # a socket that is gone
                return False
        return super().is_usable()
