"""Request and response bodies of the JSON API (they are the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from bot.plaintext import CONTROL_JA, has_control
from bot.questions import MAX_QUESTION


def _no_control(value: Any) -> Any:
    if has_control(value):
        raise PydanticCustomError("control_characters", CONTROL_JA)
    return value


Text = Annotated[str, AfterValidator(_no_control)]  # every text a request brings in: no NUL and the like


class SessionRequest(BaseModel):
    site_key: Text = Field(..., max_length=100, description="The public site key from the script tag.")
    previous: Text | None = Field(None, max_length=2000, description="An expired token, to keep the same visitor.")


class SessionOut(BaseModel):
    token: str
    expires_in: int
    visitor: str


class AskRequest(BaseModel):
    question: Text = Field(..., max_length=MAX_QUESTION, description="The question as staff would type it.")
    scope: list[Text] | None = Field(None, max_length=20, description="Document ids; all when empty.")
    k: int = Field(5, ge=1, le=20)


class ReferenceOut(BaseModel):
    """A citation written inside a clause's text (前項, 第5条第2項, 番号法第19条 …), resolved."""

    key: str | None = Field(description="The clause cited (the first of a range); null for another instrument's "
                                        "or when it names no clause of this regulation (別表).")
    keys: list[str] = Field(default_factory=list, description="Every clause cited: a range gives several.")
    label: str = Field(description="What it cites, e.g. 第23条第3項 or 番号法第19条.")
    text: str = Field(description="The span exactly as written in the clause text, in order of appearance.")
    external: bool = Field(False, description="True when it cites another instrument (a law, an ordinance).")
    instrument: str | None = Field(None, description="That instrument's name as written, e.g. 番号法.")


class CitationOut(BaseModel):
    key: str
    doc: str
    article: str | None
    paragraph: int | None
    item: str | None
    subitem: str | None
    label: str
    heading: str | None
    text: str
    score: float
    references: list[ReferenceOut] = Field(default_factory=list)


class AnswerOut(BaseModel):
    question: str
    scope: list[str]
    answer: str
    abstained: bool
    citations: list[CitationOut]
    composer: Literal["extractive", "llm"] = Field("extractive", description="Who wrote the answer text.")
    composer_note: str | None = Field(None, description="Why a generated answer fell back to the extractive one.")
    timings_ms: dict[str, float]


class ClauseOut(BaseModel):
    key: str
    doc: str
    label: str
    heading: str | None
    text: str
    municipality: str
    references: list[ReferenceOut] = Field(default_factory=list)


class FlowInfo(BaseModel):
    name: str
    title: str
    description: str
    scopes: list[dict[str, str]]


class StartFlowRequest(BaseModel):
    scope: Text | None = Field(None, max_length=128)


class AnswerRequest(BaseModel):
    step_id: Text | None = Field(None, max_length=128, description="The step answered; the current one if empty.")
    value: Annotated[Any, AfterValidator(_no_control)] = Field(
        None, description="The answer: text, a number, a list for multi-select, or {status, note}.")
    request_id: Text | None = Field(None, max_length=100, description="Makes a retried request advance once.")


class BackRequest(BaseModel):
    from_step: Text | None = Field(None, max_length=128, description="Go back only if this step is current.")
    request_id: Text | None = Field(None, max_length=100)


class FlowView(BaseModel):
    id: str
    flow: str
    title: str
    status: Literal["active", "confirm", "finished", "cancelled"]
    scope: str | None
    step: dict[str, Any] | None
    progress: dict[str, int]
    summary: list[dict[str, Any]]
    notices: list[str]
    report_id: str | None
    draft: bool = Field(False, description="The city's part of this guide is an unreviewed draft (hogo flow draft).")
    draft_notice: str | None = Field(None, description="The Japanese notice shown while it is a draft.")


class CaseStepOut(BaseModel):
    status: Literal["received", "preliminary", "final", "notified", "closed"]
    label: str = Field(description="受付, 速報済, 確報済, 本人通知済 or 完了.")
    on: str = Field(description="The day the step was taken (ISO date).")
    note: str | None = Field(None, description="The privacy office's note for the reporter.")


class CaseOut(BaseModel):
    """The privacy office's handling of an incident report, as its reporter sees it."""

    status: Literal["received", "preliminary", "final", "notified", "closed"]
    label: str
    updated_on: str = Field(description="The day of the latest step (ISO date): when the status last changed.")
    timeline: list[CaseStepOut]


class ReportOut(BaseModel):
    id: str
    flow: str
    scope: str | None
    title: str
    created_at: str
    data: dict[str, Any]
    markdown: str
    case: CaseOut | None = Field(None, description="Incident reports: the office's status and its dated steps.")


class OwnReportOut(BaseModel):
    """One of the caller's own incident reports with the office's handling of it (GET /api/reports)."""

    id: str
    flow: str
    scope: str | None
    title: str
    created_at: str
    case: CaseOut


class ReportSummary(BaseModel):
    id: str
    flow: str
    scope: str | None
    title: str
    created_at: str


class FeedbackRequest(BaseModel):
    question: Text = Field(..., min_length=1, max_length=MAX_QUESTION)
    rating: Literal["up", "down"]
    comment: Text | None = Field(None, max_length=2000)
    cited_keys: list[Text] = Field(default_factory=list, max_length=50)


class FeedbackOut(BaseModel):
    id: int
    stored: bool = True


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody
