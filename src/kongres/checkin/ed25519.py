"""Ed25519 signatures (RFC 8032, section 5.1), for the check-in page's offline list: the server
signs, the page verifies with WebCrypto (``crypto.subtle.verify("Ed25519", ...)``).

Written out here because no library of our locks signs with a public-key scheme (the
``cryptography`` package is not among our dependencies). It follows the RFC's reference code:
deterministic signatures (no random nonce that could repeat), tested against the RFC's own test
vectors (tests/checkin/test_offline.py). Python's integers are not constant-time: the key only
signs lists of hashed ticket codes, and its owner (``offline_list_key``) is derived from
SECRET_KEY. Should ``cryptography`` join the dependencies, ``sign`` and ``public_key`` become
``Ed25519PrivateKey.from_private_bytes(seed).sign(message)`` and its ``public_key()``."""

from __future__ import annotations

import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z


def _sha512(data: bytes) -> int:
    return int.from_bytes(hashlib.sha512(data).digest(), "little")


def _add(a: Point, b: Point) -> Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _equal(a: Point, b: Point) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 % P == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
assert _GX is not None
G: Point = (_GX, _GY, 1, _GX * _GY % P)


def _compress(point: Point) -> bytes:
    z_inverse = pow(point[2], P - 2, P)
    x = point[0] * z_inverse % P
    y = point[1] * z_inverse % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(data: bytes) -> Point | None:
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _expand(seed: bytes) -> tuple[int, bytes]:
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed has 32 bytes")
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    return scalar, digest[32:]


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key of the 32-byte secret ``seed``."""
    scalar, _prefix = _expand(seed)
    return _compress(_multiply(scalar, G))


def sign(seed: bytes, message: bytes) -> bytes:
    """The 64-byte signature of ``message`` by ``seed``."""
    scalar, prefix = _expand(seed)
    key = _compress(_multiply(scalar, G))
    r = _sha512(prefix + message) % L
    big_r = _compress(_multiply(r, G))
    h = _sha512(big_r + key + message) % L
    s = (r + h * scalar) % L
    return big_r + int.to_bytes(s, 32, "little")


def verify(key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``message`` (for tests and tools; the
    page verifies with WebCrypto)."""
    if len(key) != 32 or len(signature) != 64:
        return False
    point = _decompress(key)
    big_r = _decompress(signature[:32])
    if point is None or big_r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    h = _sha512(signature[:32] + key + message) % L
    return _equal(_multiply(s, G), _add(big_r, _multiply(h, point)))
