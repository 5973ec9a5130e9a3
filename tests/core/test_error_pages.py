"""The server-error handler tells a database outage (503, Retry-After) from a fault in the code (500)."""

import pytest
from django.db import InterfaceError, OperationalError
from django.urls import get_resolver

from mayor_award.core.views.errors import server_error


def _handled(rf, error):
    try:
        raise error
    except Exception:  # Django calls handler500 inside its except block; so does this test
        return server_error(rf.get("/review/"))


@pytest.mark.parametrize("error", [OperationalError("connection refused"), InterfaceError("connection already closed")])
def test_database_unreachable_is_503_with_retry_after_in_chinese(rf, error):
    response = _handled(rf, error)

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "没有保存任何内容" in response.content.decode()


def test_other_errors_are_500(rf):
    response = _handled(rf, ValueError("a bug"))

    assert response.status_code == 500
    assert "系统暂时出现错误" in response.content.decode()


def test_the_project_uses_this_handler():
    assert get_resolver().urlconf_module.handler500 == "mayor_award.core.views.errors.server_error"
