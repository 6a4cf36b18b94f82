from tests.staff.conftest import key, people, staff_client

__all__ = ["key", "people", "staff_client"]
