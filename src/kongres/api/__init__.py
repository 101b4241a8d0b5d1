"""The JSON API (``/api/v1/``): django-ninja routers, one module per domain (``public``,
``registrations``, ``checkin``), the token authentication (``auth``) and the errors
(``errors``). Every write goes through the domain services, as the pages' do."""
