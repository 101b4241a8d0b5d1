"""A real password hasher (PBKDF2, fewer rounds for speed) that counts its work, so that a
test can see whether a request hashed a password at all."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class CountingPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000
    calls = 0  # passwords hashed or checked since the test reset it

    def encode(self, password, salt, iterations=None):
        type(self).calls += 1
        return super().encode(password, salt, iterations)
