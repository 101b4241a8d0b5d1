"""``make bench``: the registration rush and the public pages under load, measured against
ceilings taken in the same run. See bench/README.md."""
