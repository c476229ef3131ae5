"""The API keeps the promises of its OpenAPI schema under schemathesis (issue #7).

For every operation, schemathesis reads ``/api/schema/`` from the project's own WSGI
application and generates requests from it: valid ones, and invalid ones (wrong types,
values outside the enums, malformed dates). Every response must be no server error, with a
status code, a content type, headers and a body that the schema documents.

Not checked, on purpose: that schema-valid values are accepted and schema-invalid ones
refused. A slug is a plain string to the schema, yet an unknown one is a 400; a page size
that is not a number falls back to 20 (docs/api.md).

The schema is loaded and the requests sent inside each test, in its database transaction
with the session's seeds. ``schemathesis.pytest.from_fixture`` would do that for us, but its
4.32.5 release sets ``Function._nodeid``, which pytest 9.2 no longer has; the documented
``APIOperation.as_strategy`` under ``@given`` does the same work.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from newsarchive.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Known without a request, so that each operation is a test of its own.
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in SchemaGenerator().get_schema(request=None, public=True)["paths"].items()
    for method in methods
)


@pytest.fixture
def api_schema(db, settings):
    """The served schema, its operations bound to the WSGI application.

    A bare WSGI handler closes the database connection when a request ends, which would end
    the test's transaction too: Django's test client stops that the same way.
    """
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation_is_tested(api_schema):
    served = sorted(
        (operation.method.upper(), operation.path)
        for operation in (result.ok() for result in api_schema.get_all_operations())
    )
    assert served == OPERATIONS
    assert {method for method, _path in OPERATIONS} == {"GET"}


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(op) for op in OPERATIONS])
def test_operation_keeps_to_the_schema(api_schema, method, path):
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    def responses_conform(case):
        case.call_and_validate(checks=CHECKS)

    responses_conform()
