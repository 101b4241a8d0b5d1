"""Django's PostgreSQL backend with a health check that sends no query (``base.py``), used only
when the configuration says ``database_health_check = "poll"``."""
