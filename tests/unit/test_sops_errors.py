"""sops' failures (its real stderr, sops 3.11) mapped to problems that name the file, never a
value: an age key that is not a recipient is "wrong key" whichever way sops words it; no key
at all is "no age key found"."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine.sops import _problem

HEAD = "Failed to get the data key required to decrypt the SOPS file.\n\nGroup 0: FAILED\n"
NO_MATCH = HEAD + """  age1rpazsd2y24utq6x0pm8mhd75emqnfa6hy9cfpenxlssk78zlh4gsxrz30j: FAILED
    - | failed to create reader for decrypting sops data key with
      | age: no identity matched any of the recipients. Did not find
      | keys in locations 'SOPS_AGE_SSH_PRIVATE_KEY_FILE',
      | '/root/.ssh/id_ed25519', '/root/.ssh/id_rsa',
      | 'SOPS_AGE_KEY', and 'SOPS_AGE_KEY_CMD'.
"""
INCORRECT = HEAD + """  age1vf6cqdyx84a4fhju3e0wpx70snq5a6698ls6mku82exx3ja2hp3sk9sl47: FAILED
    - | failed to create reader for decrypting sops data key with
      | age: identity did not match any of the recipients: incorrect
      | identity for recipient block. Did not find keys in locations
"""
NO_KEY = HEAD + """  age1rpazsd2y24utq6x0pm8mhd75emqnfa6hy9cfpenxlssk78zlh4gsxrz30j: FAILED
    - | failed to load age identities. Did not find keys in
      | locations 'SOPS_AGE_SSH_PRIVATE_KEY_FILE',
      | '/nonexistent/.ssh/id_ed25519', '/nonexistent/.ssh/id_rsa',
      | 'SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', and
      | '/nonexistent/sops/age/keys.txt'.
"""


def test_a_key_that_is_not_a_recipient_is_a_wrong_key_in_both_wordings() -> None:
    path = Path("/repo/secrets.enc.yaml")
    for stderr in (NO_MATCH, INCORRECT):
        problem = str(_problem(path, 128, stderr))
        assert problem == (f"cannot decrypt {path}: the age key is not a recipient of this "
                           "file (wrong key)")


def test_no_key_at_all_is_no_age_key_found() -> None:
    path = Path("/repo/secrets.enc.yaml")
    assert str(_problem(path, 128, NO_KEY)) == f"cannot decrypt {path}: no age key found"
