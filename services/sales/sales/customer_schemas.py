"""Request schemas of the customer's record: creation, edits, contacts, team members. Protected fields are refused."""
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from sales.contacts import ACCESS_LEVELS, CONTACTS_MAX

TEXT = validate.Length(min=1, max=200)

# Fields a client may read but never write through an edit: each has its own action, or none.
PROTECTED = {
    "owner_id": "The owner changes by claim, return to the pool or distribution, never by an edit.",
    "in_pool": "Use return-to-pool.",
    "won_deals": "Counted from won opportunities.",
    "status": "Not set by an edit.",
    "lead_id": "Set once, by the conversion.",
    "id": "Set by the server.",
    "version": "Send the version in the If-Match header.",
    "created_at": "Set by the server.",
    "updated_at": "Set by the server.",
    "updated_by": "Set by the server.",
    "contacts": "Replace the contacts with PUT /customers/{id}/contacts.",
    "team_members": "Use /customers/{id}/team-members.",
    "contact_name": "Edit the primary contact instead.",
    "phone": "Edit the primary contact instead.",
    "email": "Edit the primary contact instead.",
}


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Cannot be blank.")


def refuse_protected(data, protected: dict):
    """A clear 422 naming each field the client may not set, rather than 'unknown field'."""
    if isinstance(data, dict):
        refused = {name: [f"Cannot be set here. {why}"] for name, why in protected.items() if name in data}
        if refused:
            raise ValidationError(refused)
    return data


class ContactInputSchema(Schema):
    id = fields.UUID(load_default=None, metadata={"description": "keep an existing contact's id"})
    name = fields.String(required=True, validate=[TEXT, _not_blank])
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    email = fields.Email(load_default=None, allow_none=True)
    is_primary = fields.Boolean(load_default=False)

    @post_load
    def as_contact_fields(self, data, **_):
        contact_id = data.pop("id", None)
        return {**data, "contact_id": str(contact_id) if contact_id else None}


class CustomerCreateSchema(Schema):
    name = fields.String(required=True, validate=[TEXT, _not_blank])
    channel = fields.String(load_default="direct", validate=validate.Length(min=1, max=50))
    level = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20))
    region = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    industry = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    owner_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36),
                             metadata={"description": "managers and admins only; a rep's customers are their own"})
    contacts = fields.List(fields.Nested(ContactInputSchema), load_default=list,
                           validate=validate.Length(max=CONTACTS_MAX))

    @pre_load
    def refuse_protected(self, data, **_):
        return refuse_protected(data, {k: v for k, v in PROTECTED.items() if k not in ("owner_id", "contacts")})


class CustomerEditSchema(Schema):
    name = fields.String(validate=[TEXT, _not_blank])
    channel = fields.String(validate=validate.Length(min=1, max=50))
    level = fields.String(allow_none=True, validate=validate.Length(min=1, max=20))
    region = fields.String(allow_none=True, validate=validate.Length(max=100))
    industry = fields.String(allow_none=True, validate=validate.Length(max=100))
    campaign = fields.String(allow_none=True, validate=validate.Length(max=200))

    @pre_load
    def refuse_protected(self, data, **_):
        return refuse_protected(data, PROTECTED)


class ContactListSchema(Schema):
    contacts = fields.List(fields.Nested(ContactInputSchema), required=True,
                           validate=validate.Length(max=CONTACTS_MAX))


class TeamMemberInputSchema(Schema):
    access = fields.String(required=True, validate=validate.OneOf(ACCESS_LEVELS))
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                      metadata={"description": "with a zone; no expiry when null"})


class LevelSchema(Schema):
    key = fields.String()
    name = fields.String()
    position = fields.Integer()


class LevelInputSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_]{1,20}$", error="Letters, digits and _."))
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), _not_blank])


class LevelsInputSchema(Schema):
    levels = fields.List(fields.Nested(LevelInputSchema), required=True, validate=validate.Length(min=1, max=30))


class LevelListSchema(Schema):
    items = fields.List(fields.Nested(LevelSchema))
