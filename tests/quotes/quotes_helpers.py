"""A small billing office for the quotes' tests, made through the real use cases: the
demo's EUR price list saved by an admin, patients (with an approved course from the
stay's test clinic when a test needs one), and quotes taken through their states by a
coordinator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from respira.quotes import demo, service
from respira.quotes.schemas import AcceptIn, PriceListIn, QuoteIn, QuoteOut


def days(n: int) -> dt.date:
    return service.clinic_today() + dt.timedelta(days=n)


def price_list_json(**changes: Any) -> dict[str, Any]:
    """The demo's EUR price list as the API takes it, in force from a month ago for a
    year, with ``changes``."""
    body = demo.price_list_body(days(-30), days(365)).model_dump(mode="json")
    body.update(changes)
    return body


class Billing:
    def __init__(
        self,
        db: Any,
        make_patient: Callable[..., int],
        make_account: Callable[..., Any],
        clinic: Any = None,
    ) -> None:
        self.db = db
        self.make_patient = make_patient
        self.clinic = clinic
        self.admin = make_account("admin")
        self.coordinator = make_account("coordinator")
        self.prices: Any = None
        self._n = 0

    def price_list(self, **changes: Any) -> Any:
        with self.db.transaction() as s:
            return service.create_price_list(
                s, self.admin.actor, PriceListIn.model_validate(price_list_json(**changes))
            )

    def patient(self, **fields: Any) -> int:
        self._n += 1
        fields.setdefault("first_name", f"Quote{self._n}")
        fields.setdefault("email", f"quote{self._n}@mail.example")
        return self.make_patient(**fields)

    def course_patient(self, **course: Any) -> tuple[int, Any]:
        """A patient with an approved course (cord cells, 7 days, IV infusions of 1.0
        ×10^6 cells/kg on days 1 and 3, one nebulisation, physiotherapy × 3)."""
        assert self.clinic is not None, "this test needs the clinic fixture"
        pid = self.clinic.eligible_patient()
        return pid, self.clinic.course(pid, **course)

    def quote(self, pid: int, actor: Any = None, **body: Any) -> QuoteOut:
        body.setdefault("severity", "mild")
        if "course_id" not in body and "provisional" not in body:
            body.setdefault("lines", [{"code": "CONS", "quantity": "1"}])
        with self.db.transaction() as s:
            return service.create_quote(
                s, actor or self.coordinator.actor, pid, QuoteIn.model_validate(body)
            )

    def send(self, quote_id: int) -> QuoteOut:
        with self.db.transaction() as s:
            return service.send_quote(s, self.coordinator.actor, quote_id)

    def accept(self, quote_id: int, how: str = "signed_paper") -> QuoteOut:
        with self.db.transaction() as s:
            return service.accept_quote(s, self.coordinator.actor, quote_id, AcceptIn(how=how))

    def accepted(self, pid: int | None = None, **body: Any) -> QuoteOut:
        """A quote made, sent and accepted (on signed paper)."""
        q = self.quote(pid or self.patient(), **body)
        self.send(q.id)
        return self.accept(q.id)

    def invoice(self, quote_id: int) -> Any:
        with self.db.transaction() as s:
            return service.issue_invoice(s, self.coordinator.actor, quote_id)
