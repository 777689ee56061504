"""Reading an uploaded HubSpot CSV file: size limit, encoding, delimiter, header row, records."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError


class FileError(Exception):
    """The file breaks off (a broken quote) after the rows before it were read: reported as a
    file-level error of the import rather than refused at upload."""

    def __init__(self, code: str, message: str, line: int | None = None):
        super().__init__(message)
        self.code, self.message, self.line = code, message, line


def file_error(code: str, message: str) -> DomainError:
    """A file that cannot be read at all: refused on the upload form's file field."""
    return DomainError(code=code, message=message, field="file")


@dataclass
class CsvFile:
    text: str
    encoding: str
    delimiter: str
    headers: list[str]
    header_line: int

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(physical line where the row starts, cells) for every non-blank row after the header."""
        for line, cells in _records(self.text, self.delimiter):
            if line > self.header_line:
                yield line, cells


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank CSV record with the physical line it starts on (a quoted value may span
    several lines). An Excel ``sep=`` hint line is skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileError(
                "import_bad_csv",
                _(
                    "The CSV structure is broken near line %(line)d (%(detail)s). Check for a "
                    "quote that is opened but never closed."
                )
                % {"line": reader.line_num, "detail": exc},
                line=reader.line_num,
            ) from None
        start, previous = previous + 1, reader.line_num
        if start == 1 and re.fullmatch(r"sep=.", delimiter.join(cells).strip()):
            continue
        if any(cell.strip() for cell in cells):
            yield start, cells


def decode_csv(data: bytes) -> tuple[str, str]:
    """Return (text, encoding): UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252."""
    head = data[:8192]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error(
            "import_not_csv",
            _(
                "This is a spreadsheet workbook, not a CSV file. In "
                "HubSpot choose CSV as the export format, or save the "
                "sheet as “CSV UTF-8”."
            ),
        )
    if head.startswith(b"%PDF"):
        raise file_error("import_not_csv", _("This is a PDF, not a CSV file."))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise file_error(
                "import_encoding", _("The file could not be read as UTF-16 text.")
            ) from None
    if b"\x00" in head:
        raise file_error(
            "import_not_csv", _("This is not a CSV text file (it contains binary data).")
        )
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise file_error(
            "import_encoding",
            _(
                "The file is not UTF-8 text and could not be read in another common encoding. "
                "Export it again from HubSpot, or save it as “CSV UTF-8”."
            ),
        ) from None


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: comma, semicolon or tab (or an Excel ``sep=`` hint)."""
    for line in io.StringIO(text[:65536]):
        if not line.strip():
            continue
        hint = re.fullmatch(r"sep=(.)", line.strip())
        if hint:
            return hint.group(1)
        counts = {d: line.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
    return ","


def read_csv(data: bytes) -> CsvFile:
    """Decode ``data`` and read its header row. Raises DomainError for unreadable files."""
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise file_error("import_empty", _("The file is empty."))
    text, encoding = decode_csv(data)
    if "\x00" in text[:8192]:
        raise file_error(
            "import_not_csv", _("This is not a CSV text file (it contains binary data).")
        )
    if not text.strip():
        raise file_error("import_empty", _("The file is empty."))
    delimiter = _sniff_delimiter(text)
    try:
        header_line, headers = next(_records(text, delimiter))
    except (StopIteration, FileError):
        raise file_error(
            "import_no_header",
            _("The first line of the file is not a CSV header row with column names."),
        ) from None
    headers = [h.replace("\ufeff", "").strip() for h in headers]
    if not any(headers):
        raise file_error("import_no_header", _("The file has no header row with column names."))
    return CsvFile(
        text=text, encoding=encoding, delimiter=delimiter, headers=headers, header_line=header_line
    )


def read_upload(uploaded_file: UploadedFile) -> bytes:
    """The uploaded bytes, refused beyond ``settings.IMPORT_MAX_BYTES``."""
    limit = settings.IMPORT_MAX_BYTES
    too_big = file_error(
        "import_too_large",
        _("The file is larger than %(mb)s MB. Split it into smaller files.")
        % {"mb": f"{limit / 1048576:g}"},
    )
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise too_big
    chunks, size = [], 0
    for chunk in uploaded_file.chunks():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)
