"""The event envelope: names, required fields, and the context new events inherit."""
import json

import pytest

from crm_shared import context
from crm_shared.envelope import Envelope, InvalidEnvelope


def test_a_new_event_inherits_actor_and_correlation_from_the_current_context():
    with context.use(context.MessageContext(actor="user-1", correlation_id="corr-1", causation_id="cause-1")):
        event = Envelope.new("leads.lead.created.v1", {"lead_id": "x"}, producer="leads")
    assert (event.actor, event.correlation_id, event.causation_id) == ("user-1", "corr-1", "cause-1")
    assert event.occurred_at.endswith("Z")


def test_an_event_outside_any_request_is_its_own_correlation_and_acted_by_the_system():
    event = Envelope.new("leads.lead.created.v1", {}, producer="leads")
    assert event.correlation_id == event.id
    assert event.actor == "system"
    assert event.causation_id is None


def test_work_caused_by_an_event_keeps_its_correlation_and_names_it_as_the_cause():
    cause = Envelope.new("leads.lead.converted.v1", {}, producer="leads", correlation_id="corr-9")
    with context.use(cause.caused_context()):
        effect = Envelope.new("sales.customer.created.v1", {}, producer="sales")
    assert effect.correlation_id == "corr-9"
    assert effect.causation_id == cause.id


@pytest.mark.parametrize("name", ["leads.lead.created", "Leads.lead.created.v1", "leads.created.v1", "a.b.c.v0"])
def test_event_names_must_follow_service_aggregate_verb_version(name):
    with pytest.raises(ValueError):
        Envelope.new(name, {}, producer="x")


def test_an_envelope_survives_the_wire_unchanged():
    event = Envelope.new("sales.customer.created.v1", {"name": "上海示例"}, producer="sales")
    assert Envelope.from_json(event.to_json()) == event
    properties = event.amqp_properties()
    assert properties["message_id"] == event.id
    assert properties["type"] == event.name
    assert properties["content_type"] == "application/json"


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"id": "not-a-uuid"}, "UUID"),
        ({"payload": []}, "payload"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"extra": 1}, "unknown"),
        ({"actor": ""}, "actor"),
    ],
)
def test_a_malformed_envelope_is_refused_with_the_reason(change, problem):
    data = Envelope.new("leads.lead.created.v1", {}, producer="leads").to_dict()
    data.update(change)
    with pytest.raises(InvalidEnvelope, match=problem):
        Envelope.from_json(json.dumps(data))


def test_a_body_that_is_not_json_is_refused():
    with pytest.raises(InvalidEnvelope):
        Envelope.from_json(b"{not json")
