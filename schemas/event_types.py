"""The built-in event types, one declaration each (see schemas/registry.py).

A new type: its payload model in schemas/payloads.py, its class here (appended to
BUILT_IN), and its core SQL file if it projects; README "A new event type".
"""

from __future__ import annotations

from schemas.payloads import (
    AllegationMade,
    AllegationUpdated,
    CapabilityScored,
    EventCorrected,
    EventRetracted,
    ModelLaunched,
    PolicyChanged,
    ProductReleased,
)
from schemas.registry import EventType, SubjectTemplate, register
from schemas.upcasters import allegation_made_v1_to_v2, model_launched_v1_to_v2


class ModelLaunchedType(EventType):
    event_type = "model.launched"
    payload = ModelLaunched
    schema_version = 2
    upcasters = {1: model_launched_v1_to_v2}
    subject = SubjectTemplate("model:{slug(model)}")
    organization_roles = {"organizations": "developer"}


class CapabilityScoredType(EventType):
    event_type = "capability.scored"
    payload = CapabilityScored
    # One stream per (index, model version): Epoch's natural key.
    subject = SubjectTemplate("capability:{slug(index)}-{slug(model_version)}")
    # (a capability score names the developers of the model version it scores)
    organization_roles = {"organizations": "developer"}


class ProductReleasedType(EventType):
    event_type = "product.released"
    payload = ProductReleased
    subject = SubjectTemplate("product:{slug(organization)}-{slug(product)}")
    organization_roles = {"organization": "developer"}


class AllegationMadeType(EventType):
    event_type = "allegation.made"
    payload = AllegationMade
    schema_version = 2
    upcasters = {1: allegation_made_v1_to_v2}
    # (the names joined: a v1 record upcast to one-item lists keeps its v1 subject)
    subject = SubjectTemplate("allegation:{slug(accusers)}-{slug(accused) or unnamed}-{kind}-{occurred_at:%Y%m}")
    # every named party, on each side (co-plaintiffs, co-defendants)
    organization_roles = {"accusers": "accuser", "accused": "accused"}


class AllegationUpdatedType(EventType):
    event_type = "allegation.updated"
    payload = AllegationUpdated
    # The record names the allegation it updates: nothing in the payload identifies it.
    subject = None
    subject_prefix = "allegation"


class PolicyChangedType(EventType):
    event_type = "policy.changed"
    payload = PolicyChanged
    subject = SubjectTemplate("policy:{slug(jurisdiction)}-{slug(title)}")


class EventCorrectedType(EventType):
    event_type = "event.corrected"
    payload = EventCorrected
    # An amendment's subject is exactly its target's id (schemas.events.subject_problem).
    subject = SubjectTemplate("event:{target_event_id}")


class EventRetractedType(EventType):
    event_type = "event.retracted"
    payload = EventRetracted
    subject = SubjectTemplate("event:{target_event_id}")


# The one list of built-in types, in the order the union and the SQL cases list them.
BUILT_IN: tuple[type[EventType], ...] = (
    ModelLaunchedType,
    CapabilityScoredType,
    ProductReleasedType,
    AllegationMadeType,
    AllegationUpdatedType,
    PolicyChangedType,
    EventCorrectedType,
    EventRetractedType,
)
for _type in BUILT_IN:
    register(_type)
