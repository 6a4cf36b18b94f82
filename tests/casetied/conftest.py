from tests.staff.conftest import people, staff_client

__all__ = ["people", "staff_client"]
