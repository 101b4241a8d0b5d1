# The erasure is reached from the back office's pages: the same fixtures.
from tests.orga.conftest import _polish, edition, manager, manager_client, role_user  # noqa: F401
