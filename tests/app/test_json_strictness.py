"""JSON ``true`` is not a number and a datetime is not a date, in every input schema of
the API; forms, which send every value as text, keep working."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from respira.app.factory import routers
from respira.kit.validation import InputModel
from tests.conftest import patient_data


def _models(annotation: Any, seen: set[type]) -> Iterator[type[BaseModel]]:
    if typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            yield from _models(arg, seen)
    elif (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and annotation not in seen
    ):
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation, seen)


def test_every_body_the_api_takes_is_an_input_model():
    seen: set[type] = set()
    bodies = [
        model
        for router in routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        for param in route.dependant.body_params
        for model in _models(param.field_info.annotation, seen)
    ]
    assert len(bodies) > 50
    assert [m.__qualname__ for m in bodies if not issubclass(m, InputModel)] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("smoking_pack_years", True, "must be a number, not true or false"),
        ("height_cm", False, "must be a number, not true or false"),
        ("date_of_birth", "1980-03-14T00:00:00", "must be a date such as 1980-03-14"),
        ("date_of_birth", "1980-03-14 00:00", "must be a date such as 1980-03-14"),
        ("date_of_birth", 321840000, "must be a date such as 1980-03-14"),
    ],
)
def test_the_api_refuses_true_as_a_number_and_a_datetime_as_a_date(api_as, field, value, message):
    coordinator = api_as("coordinator")
    r = coordinator.post("/api/v1/patients", json=patient_data(**{field: value}))
    assert r.status_code == 422, r.text
    (problem,) = r.json()["detail"]
    assert problem["field"] == field
    assert problem["msg"].startswith(message)


def test_the_api_still_takes_numbers_and_dates(api_as):
    coordinator = api_as("coordinator")
    r = coordinator.post(
        "/api/v1/patients",
        json=patient_data(smoking_pack_years=12.5, height_cm=170, date_of_birth="1980-03-14"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["smoking_pack_years"] == 12.5
    assert r.json()["date_of_birth"] == "1980-03-14"


def test_a_form_still_sends_numbers_and_dates_as_text(page_as):
    coordinator = page_as("coordinator")
    fields = {
        k: "" if v is None else str(v)
        for k, v in patient_data(smoking_pack_years="12.5", height_cm="170").items()
    }
    r = coordinator.post_form("/patients", fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = coordinator.get(r.headers["location"])
    assert "Lindqvist" in shown.text
