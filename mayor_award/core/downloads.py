"""Serving a private file: always as a download, with its own content type, never sniffed by the browser."""

from django.http import FileResponse


def private_file_response(field_file, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
