"""Django's PostgreSQL backend, with a cheaper health check.

With ``CONN_HEALTH_CHECKS`` (the settings turn it on, so that a restart of the database costs
no request an error) Django checks a persistent connection at the start of each request that
uses it by sending ``SELECT 1``: a round trip per request, which on a small machine shared with
PostgreSQL cost a registration rush about a quarter of its throughput.

A server that ends a connection (a restart, ``pg_terminate_backend``, an idle timeout) tells the
client so, or at least closes the socket, so an idle connection that has been ended has
something to read. Here a connection that is idle and has nothing to read is taken as usable
without a query (one ``poll`` of its socket); otherwise Django's ``SELECT 1`` decides, as
before. A connection lost without a word (a network cut) is missed by both: the query that
follows fails, as ``SELECT 1`` would have.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status == TransactionStatus.IDLE:
            try:
                poller = select.poll()
                poller.register(connection.fileno(), select.POLLIN)
                if not poller.poll(0):
                    return True
            except (OSError, ValueError):  # a socket that is gone
                return False
        return super().is_usable()
