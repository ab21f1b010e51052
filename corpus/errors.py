"""The one small error hierarchy every layer raises; messages say how to fix the problem.

Each error carries an English ``message`` (for logs and the CLI) and a Japanese ``message_ja`` for staff.
The web layer maps ``code`` to an HTTP error, the CLI to a one-line message and ``exit_code``.
"""

from __future__ import annotations


class HogoError(Exception):
    code = "hogo_error"
    exit_code = 1
    http_status = 500
    default_ja = "処理中に問題が発生しました。時間をおいて再度お試しください。"

    def __init__(self, message: str, message_ja: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_ja = message_ja or self.default_ja


class CorpusParseError(HogoError):
    """A text could not be read as a regulation; ``line`` is 1-based in the given text."""

    code = "corpus_parse_error"
    exit_code = 2
    http_status = 422
    default_ja = "規程のテキストを読み取れませんでした。"

    def __init__(self, line: int, reason: str, source: str = "<text>") -> None:
        super().__init__(f"{source}: line {line}: {reason}")
        self.line = line
        self.reason = reason
        self.source = source


class UnknownClauseError(HogoError):
    code = "unknown_clause"
    exit_code = 2
    http_status = 404
    default_ja = (
        "指定された条項は見つかりませんでした。条項キー（例: koriyama-kijun:23:1）を確認してください。"
    )


class UnknownDocumentError(HogoError):
    code = "unknown_document"
    exit_code = 2
    http_status = 404
    default_ja = "指定された規程は登録されていません。"


class CorpusError(HogoError):
    """The corpus folder is unusable (duplicate ids, missing front matter, ...)."""

    code = "corpus_error"
    exit_code = 2
    http_status = 500


class ExtractionError(CorpusError):
    """A file given to `hogo corpus add` could not be turned into regulation text."""

    code = "extraction_error"
    default_ja = "ファイルから規程の本文を取り出せませんでした。"


class UnsupportedFileError(ExtractionError):
    code = "unsupported_file"
    default_ja = "対応していない形式のファイルです。テキスト、HTML、PDF、Word（.docx）を指定してください。"


class UnreadableFileError(ExtractionError):
    code = "unreadable_file"
    default_ja = "ファイルが壊れているか、読み取れない形式です。"


class ScannedPdfError(ExtractionError):
    code = "scanned_pdf"
    default_ja = "文字情報のない（スキャンした画像の）PDFです。OCR済みのPDFか、例規集のHTMLを指定してください。"


class NotARegulationError(ExtractionError):
    code = "not_a_regulation"
    default_ja = "規程の条文（第1条、第1 など）が見つかりませんでした。"


class RegulationExistsError(CorpusError):
    """The corpus folder already holds a regulation with that id."""

    code = "regulation_exists"
    default_ja = "同じIDの規程がすでに登録されています。"


class IndexUnavailable(HogoError):
    """The vector store (a Chroma server) cannot be reached."""

    code = "index_unavailable"
    exit_code = 2
    http_status = 503
    default_ja = "検索の準備ができていません。しばらく待ってからもう一度お試しください。"
    retry_after = 30
