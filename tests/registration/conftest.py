import pytest
from django.utils import timezone


@pytest.fixture
def now():
    """The time of the test's events, whole seconds (as the services store them)."""
    return timezone.now().replace(microsecond=0)
