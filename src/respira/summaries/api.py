"""JSON routes of the medical summaries (the API contract of issue 12): write a draft,
change its text, sign it, correct a signed one with a new version, list and read them,
and download the PDF (``?lang=en``: the English copy)."""

from __future__ import annotations

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from respira.kit.web.deps import ApiAccess
from respira.kit.web.http import etag, parse_if_match
from respira.kit.web.routes import Call, uses
from respira.summaries import service
from respira.summaries.schemas import DraftIn, RevisionIn, SignIn, SummaryIn, SummaryOut

router = APIRouter(prefix="/api/v1", tags=["summaries"])

READ = uses(ApiAccess(*service.READ_ROLES))
WRITE = uses(ApiAccess(*service.WRITE_ROLES))
SIGN = uses(ApiAccess(*service.WRITE_ROLES), signature="password")
_READ_FROM = "GET /api/v1/summaries/{id} (its draft_revision)"


def pdf_response(file: service.PdfFile) -> Response:
    """A PDF download: its name, its SHA-256, never cached (a patient's document)."""
    return Response(
        file.data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "X-Content-SHA256": file.sha256,
            "X-Summary-Status": "draft" if file.draft else "signed",
            "Cache-Control": "no-store",
        },
    )


def _tagged(call: Call, out: SummaryOut) -> SummaryOut:
    call.response.headers["ETag"] = etag(out.draft_revision)
    return out


# The download is declared before ``/summaries/{summary_id}``, which would take "3.pdf".
@router.get("/summaries/{summary_id}.pdf", response_class=Response)
def download(
    summary_id: int, lang: str | None = Query(default=None), call: Call = READ
) -> Response:
    """The PDF: a signed summary exactly as it was signed; a draft made now, marked
    DRAFT (physicians and admins only)."""
    return pdf_response(service.pdf_file(call.session, call.actor, summary_id, lang))


@router.post("/patients/{patient_id}/summaries", response_model=SummaryOut, status_code=201)
def create(patient_id: int, body: SummaryIn, call: Call = WRITE) -> SummaryOut:
    out = service.create_summary(call.session, call.actor, patient_id, body)
    return _tagged(call, call.created(out, f"/api/v1/summaries/{out.id}"))


@router.get("/patients/{patient_id}/summaries", response_model=list[SummaryOut])
def list_summaries(patient_id: int, call: Call = READ) -> list[SummaryOut]:
    return service.list_summaries(call.session, call.actor, patient_id)


@router.get("/summaries/{summary_id}", response_model=SummaryOut)
def read(summary_id: int, call: Call = READ) -> SummaryOut:
    return _tagged(call, service.get_summary(call.session, call.actor, summary_id))


@router.patch("/summaries/{summary_id}", response_model=SummaryOut)
def edit(
    summary_id: int,
    body: DraftIn,
    if_match: str | None = Header(default=None),
    call: Call = WRITE,
) -> SummaryOut:
    revision = parse_if_match(if_match, read_from=_READ_FROM)
    return _tagged(call, service.update_draft(call.session, call.actor, summary_id, body, revision))


@router.post("/summaries/{summary_id}/sign", response_model=SummaryOut)
def sign(summary_id: int, body: SignIn, call: Call = SIGN) -> SummaryOut:
    return service.sign(
        call.session, call.actor, summary_id, password=body.password, meaning=body.meaning
    )


@router.post("/summaries/{summary_id}/revisions", response_model=SummaryOut, status_code=201)
def revise(summary_id: int, body: RevisionIn, call: Call = WRITE) -> SummaryOut:
    out = service.revise(call.session, call.actor, summary_id, body)
    return _tagged(call, call.created(out, f"/api/v1/summaries/{out.id}"))
