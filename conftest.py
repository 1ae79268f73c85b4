import pytest


@pytest.fixture(autouse=True)
def fresh_public_state(settings):
    """Every test reads the public state from the database, as a process does once its memo expires.

    ``public.tests.test_caching`` turns the memo back on where it is the subject.
    """
    from public import caching

    settings.PUBLIC_STATE_MEMO_SECONDS = 0
    caching.forget_public_state()
