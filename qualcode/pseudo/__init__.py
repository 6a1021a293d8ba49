"""Pseudonymization (GDPR): a pseudonym key kept apart from the data, replacement of its
names wherever text leaves the project, candidates for the key, and an audit of exported
files for names that would leak.

* :mod:`qualcode.pseudo.key`: the key file and its entries (``qualcode pseudo add/list/remove``);
* :mod:`qualcode.pseudo.replace`: the replacement rules (:class:`Pseudonymizer`);
* :mod:`qualcode.pseudo.apply`: the replacement applied to what exports write;
* :mod:`qualcode.pseudo.suggest`: candidates for the key (``qualcode pseudo suggest``);
* :mod:`qualcode.pseudo.audit`: leaks and k-anonymity in exported files (``qualcode pseudo audit``).
"""
