"""Bad input is a 400 with a reason, never a server error."""

from django.core.exceptions import SuspiciousOperation
from django.db import DataError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, SuspiciousOperation):  # e.g. too many form fields in one request
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):  # the database refused a value (SQL data exception, class 22)
        return Response({"detail": "A value in the request is out of range or not valid for the database."},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OverflowError):  # an id or number beyond what the database can hold
        return Response({"detail": "A number in the request is out of range."}, status=status.HTTP_400_BAD_REQUEST)
    return None
