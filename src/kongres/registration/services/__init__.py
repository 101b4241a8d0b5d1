"""Every change of a registration: the state machine of the registration app.

State machine
=============

==================  ===========================================  =====================  ===========
from                event (service)                              to                     seat
==================  ===========================================  =====================  ===========
(new)               register; a seat free on the edition and on  held (until now +      taken
                    each day chosen (``registration_create``)    edition.hold_minutes)
(new)               register; the edition or a day chosen full   waiting_unverified     —
(new)               an organiser adds someone (``actor``)        confirmed, or waiting  taken
                                                                 when full (unless
                                                                 ``over_capacity``)
held                address confirmed in time                    confirmed (or          kept
                    (``registration_verify``)                    pending_approval when
                                                                 approval is required)
held                hold time passes (``registration_expire_due`` expired               freed [1]
                    or a late ``registration_verify``)
waiting_unverified  address confirmed (``registration_verify``)  waiting (queued by     —
                                                                 verified_at); at once
                                                                 confirmed when a seat
                                                                 is free for them       taken
waiting_unverified  confirmation time passes                     expired                —
waiting             a seat frees, first in the queue it fits     offered (until now +   taken
                                                                 edition.offer_hours)
waiting             an organiser offers (``registration_offer``) offered                taken
offered             claimed in time                              confirmed (or          kept
                    (``registration_offer_claim``)               pending_approval)
offered             offer time passes (job or a late claim)      expired (leaves list)  freed [1]
pending_approval    ``registration_approve``                     confirmed              kept
pending_approval    ``registration_reject``                      rejected               freed [1]
any active          ``registration_cancel`` (participant or      cancelled              freed [1]
                    organiser; also leaving the waiting list)
any active          ``registration_update`` (until the edit      unchanged              per day [2]
                    deadline)
—                   ``edition_capacity_change``,                 —                      raised:
                    ``day_capacity_change``                                             offered [1]
==================  ===========================================  =====================  ===========

[1] A freed seat is offered at once, in the same transaction, to the first person on the
waiting list whose days all have a free seat. [2] A registration with a seat needs a seat on
each day it adds (else "full" and nothing changes); the seats of days it drops are freed [1].

"Active" is held, waiting_unverified, waiting, offered, pending_approval, confirmed; expired,
cancelled and rejected are final. A forbidden transition raises ``RegistrationError`` with a code.

Seats and locks
===============
Seats are counted in ``SeatPool`` rows: one for the edition, one per day. Taking a seat is one
conditional ``UPDATE seat pool SET taken = taken + 1 WHERE … AND taken < capacity`` per pool
(``CheckConstraint(taken <= capacity + overbooked)`` is the second guard; the partial
``UniqueConstraint(edition, coalesce(email_key, lower(email)))`` over active registrations,
on the normalised address, guards "duplicate").
The edition's pool row stands for the edition: the ``Edition`` row itself is never locked, so
editing the edition or showing it never waits for a registration rush.

Every transaction that moves seats takes its locks in this order:

1. the edition's seat pool row (the conditional UPDATE, or ``SELECT … FOR UPDATE``);
2. the day pool rows of the days concerned (only ever locked while holding 1, so they cannot
   deadlock among themselves; one UPDATE takes all of them, the days in date order);
3. registration rows, each changed by a compare-and-set ``UPDATE … WHERE pk = … AND status = …``.

Transitions that move no seat (confirming a held seat, claiming an offer, approving, leaving
the waiting list) take only 3. On SQLite the settings use ``"transaction_mode": "IMMEDIATE"``:
the write lock is taken at BEGIN, so the transactions are simply serialised.

Every transaction here is ``_atomic()`` (``kongres.core.locks.atomic_bounded``): on PostgreSQL
it starts with ``SET LOCAL lock_timeout`` (``KONGRES_LOCK_TIMEOUT_MS``), on SQLite the busy
timeout bounds the wait for the write lock. A wait that runs out rolls the transaction back and
raises ``RegistrationError`` "busy" (the form is shown again with what was typed).

The locked section is short: ``registration_create`` validates and reads the seat pools
before its transaction (uncached: they only decide whether to try for a seat), then inserts
the registration, its days and panels, its link, the audit entry and its mail (rendered, with
its sending task enqueued through ``django.tasks``) first (nobody else can see those rows yet),
and takes the seat last with the conditional UPDATEs, so the pool row is held only for those
UPDATEs and the COMMIT. The same ORM statements run on SQLite and PostgreSQL. When the seat
it expected is gone, the transaction is rolled back and done once more as a waiting-list
registration. Freed seats are offered (``_offer_free_seats``) in the same transaction that
frees them, while the edition's pool is still locked.

Mail is queued in the same transaction (``mails.mail``); each mail carries
a secret link: the registration's one live link (``registration.links``), which works until
the edition is over by ``KONGRES_LINK_VALID_DAYS`` or its owner replaces it
(``registration_links_replace``).

Modules
=======
``create`` (a new registration), ``transitions`` (everything after: verify, claim, cancel,
update, the organisers' actions, links, tickets re-issued), ``waiting_list`` (seat pools,
offers of freed seats, expiry, capacity changes), ``validation`` (the last word on what a form
sent), ``_common`` (the bounded transaction, compare-and-set, audit entry, errors). Callers
import the public names from here; the rules of time are ``registration.rules``.
"""

from kongres.registration.data import EditionParts, RegistrationData
from kongres.registration.exceptions import RegistrationError
from kongres.registration.services.create import registration_create
from kongres.registration.services.transitions import (
    ORGANISER_ACTIONS,
    registration_approve,
    registration_cancel,
    registration_link_resend,
    registration_links_replace,
    registration_mail_resend,
    registration_offer,
    registration_offer_claim,
    registration_organiser_act,
    registration_reject,
    registration_restore,
    registration_update,
    registration_verify,
    ticket_reissue,
)
from kongres.registration.services.validation import (
    registration_create_parts,
    registration_current_parts,
)
from kongres.registration.services.waiting_list import (
    day_capacity_change,
    edition_capacity_change,
    registration_expire_due,
)

__all__ = [
    "ORGANISER_ACTIONS",
    "EditionParts",
    "RegistrationData",
    "RegistrationError",
    "day_capacity_change",
    "edition_capacity_change",
    "registration_approve",
    "registration_cancel",
    "registration_create",
    "registration_create_parts",
    "registration_current_parts",
    "registration_expire_due",
    "registration_link_resend",
    "registration_links_replace",
    "registration_mail_resend",
    "registration_offer",
    "registration_offer_claim",
    "registration_organiser_act",
    "registration_reject",
    "registration_restore",
    "registration_update",
    "registration_verify",
    "ticket_reissue",
]
