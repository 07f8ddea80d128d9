"""HTTP endpoints of campaigns, materials, their distribution and the public tracked links: parse, call, serialise."""
from flask import Response, current_app, redirect, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, current_identity, require_roles
from crm_shared.errors import APIError
from leads import campaign_service
from leads.campaign_schemas import (
    CampaignCreateSchema,
    CampaignListSchema,
    CampaignSchema,
    CampaignUpdateSchema,
    DeliveryListSchema,
    DeliveryPageQuerySchema,
    DistributeMaterialSchema,
    MaterialLinkSchema,
    MaterialListQuerySchema,
    MaterialListSchema,
    MaterialSchema,
    MaterialUpdateSchema,
    MaterialUploadSchema,
)
from leads.campaigns import FILE

campaigns_blp = Blueprint("campaigns", __name__, url_prefix="/api/v1/campaigns", description="Marketing campaigns")
materials_blp = Blueprint("materials", __name__, url_prefix="/api/v1/materials",
                          description="Marketing materials and their distribution to leads")
track_blp = Blueprint("track", __name__, url_prefix="/api/v1/track",
                      description="Tracked links of materials sent to leads (public: the token is the key)")

MANAGERS = (ADMIN, SALES_MANAGER)
SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)
# A 1x1 transparent GIF: the open pixel.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
NO_TRACE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _uow():
    return current_app.extensions["crm.uow_factory"]


def _store():
    return current_app.extensions["leads.material_store"]


def _download(material, path) -> Response:
    # Always an attachment, never sniffed: an uploaded file is never rendered as a page of ours.
    response = send_file(path, mimetype=material.content_type, as_attachment=True, download_name=material.file_name,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _load(schema, data) -> dict:
    try:
        return schema.load(data)
    except ValidationError as error:
        fields = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        summary = "; ".join(f"{name}: {problems[0] if isinstance(problems, list) else 'invalid value'}"
                            for name, problems in fields.items())
        raise APIError(422, "validation_failed", f"Some fields are not valid. {summary}", fields) from error


@campaigns_blp.route("")
class Campaigns(MethodView):
    @campaigns_blp.response(200, CampaignListSchema)
    @require_roles(*SALES_ROLES)
    def get(self):
        """Every campaign, the latest first."""
        return {"items": campaign_service.list_campaigns(_uow())}

    @campaigns_blp.arguments(CampaignCreateSchema)
    @campaigns_blp.response(201, CampaignSchema)
    @require_roles(*MANAGERS)
    def post(self, fields):
        """Create a campaign: channel, period, budget and target segment; leads name it by its code."""
        return campaign_service.create_campaign(_uow(), fields, current_identity())


@campaigns_blp.route("/<string:campaign_id>")
class CampaignById(MethodView):
    @campaigns_blp.response(200, CampaignSchema)
    @require_roles(*SALES_ROLES)
    def get(self, campaign_id):
        """One campaign."""
        return campaign_service.get_campaign(_uow(), campaign_id)

    @campaigns_blp.arguments(CampaignUpdateSchema)
    @campaigns_blp.response(200, CampaignSchema)
    @require_roles(*MANAGERS)
    def patch(self, changes, campaign_id):
        """Change a campaign; the fields given replace theirs."""
        return campaign_service.update_campaign(_uow(), campaign_id, changes)

    @campaigns_blp.response(204)
    @require_roles(*MANAGERS)
    def delete(self, campaign_id):
        """Delete a campaign that has no materials."""
        campaign_service.delete_campaign(_uow(), campaign_id)


UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": MaterialLinkSchema},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["name", "file"],
                    "properties": {
                        "name": {"type": "string"},
                        "campaign_id": {"type": "string"},
                        "description": {"type": "string"},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    }
}


@materials_blp.route("")
class Materials(MethodView):
    @materials_blp.arguments(MaterialListQuerySchema, location="query")
    @materials_blp.response(200, MaterialListSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args):
        """Every material, or one campaign's."""
        return {"items": campaign_service.list_materials(_uow(), args.get("campaign_id"))}

    @materials_blp.doc(**UPLOAD_DOC)
    @materials_blp.response(201, MaterialSchema)
    @require_roles(*MANAGERS)
    def post(self):
        """Add a material: a link (JSON) or a file (multipart/form-data, its part named `file`)."""
        if request.mimetype == "multipart/form-data":
            store = _store()
            # Refuse a body far too large before reading it; 64 KiB leaves room for the form's other parts.
            store.check_size((request.content_length or 0) - 64 * 1024)
            fields = _load(MaterialUploadSchema(), request.form.to_dict())
            upload = request.files.get("file")
            if upload is None or not upload.filename:  # a form sent without choosing a file has an empty name
                raise APIError(422, "validation_failed", "Some fields are not valid. file: Missing data for required field.",
                               {"file": ["Missing data for required field."]})
            return campaign_service.create_file_material(
                _uow(), store, fields, upload.stream, upload.filename, upload.mimetype, current_identity())
        if not request.is_json:
            raise APIError(415, "unsupported_media_type", "Send a link as JSON or a file as multipart/form-data.")
        fields = _load(MaterialLinkSchema(), request.get_json())
        return campaign_service.create_link_material(_uow(), fields, current_identity())


@materials_blp.route("/<string:material_id>")
class MaterialById(MethodView):
    @materials_blp.response(200, MaterialSchema)
    @require_roles(*SALES_ROLES)
    def get(self, material_id):
        """One material."""
        return campaign_service.get_material(_uow(), material_id)

    @materials_blp.arguments(MaterialUpdateSchema)
    @materials_blp.response(200, MaterialSchema)
    @require_roles(*MANAGERS)
    def patch(self, changes, material_id):
        """Rename a material, move it to another campaign, or change a link's URL."""
        return campaign_service.update_material(_uow(), material_id, changes)

    @materials_blp.response(204)
    @require_roles(*MANAGERS)
    def delete(self, material_id):
        """Delete a material that was never sent (sent materials keep their links working)."""
        campaign_service.delete_material(_uow(), _store(), material_id)


@materials_blp.route("/<string:material_id>/file")
class MaterialFile(MethodView):
    @materials_blp.response(200, content_type="application/octet-stream")
    @require_roles(*SALES_ROLES)
    def get(self, material_id):
        """Download a file material."""
        return _download(*campaign_service.material_file(_uow(), _store(), material_id))


@materials_blp.route("/<string:material_id>/distribute")
class DistributeMaterial(MethodView):
    @materials_blp.arguments(DistributeMaterialSchema)
    @materials_blp.response(201, DeliveryListSchema)
    @require_roles(*SALES_ROLES)
    def post(self, body, material_id):
        """Send a material to a segment of leads or to listed leads (reps: only their own); one tracked link each."""
        deliveries = campaign_service.distribute_material(
            _uow(), material_id, current_identity(), segment=body.get("segment"), lead_ids=body.get("lead_ids"))
        return {"items": deliveries, "total": len(deliveries)}


@materials_blp.route("/<string:material_id>/deliveries")
class MaterialDeliveries(MethodView):
    @materials_blp.arguments(DeliveryPageQuerySchema, location="query")
    @materials_blp.response(200, DeliveryListSchema)
    @require_roles(*SALES_ROLES)
    def get(self, args, material_id):
        """Who a material was sent to, and their opens and clicks (reps: deliveries to their own leads)."""
        items, total = campaign_service.deliveries_of(_uow(), material_id, current_identity(), args["limit"],
                                                      args["offset"])
        return {"items": items, "total": total}


@track_blp.route("/<string:token>")
class TrackedLink(MethodView):
    crm_public = True

    @track_blp.doc(security=[])
    @track_blp.response(302, description="to the material's URL (a file material: its download through this link)")
    def get(self, token):
        """Follow a tracked link: counts the click and redirects to the material."""
        material = campaign_service.track_click(_uow(), token)
        target = material.url if material.kind != FILE else f"/api/v1/track/{token}/file"
        response = redirect(target, 302)
        response.headers.update(NO_TRACE)
        return response


@track_blp.route("/<string:token>/file")
class TrackedFile(MethodView):
    crm_public = True

    @track_blp.doc(security=[])
    @track_blp.response(200, content_type="application/octet-stream")
    def get(self, token):
        """The file a tracked link leads to."""
        response = _download(*campaign_service.tracked_file(_uow(), _store(), token))
        response.headers.update(NO_TRACE)
        return response


@track_blp.route("/<string:token>/open")
class TrackedOpen(MethodView):
    crm_public = True

    @track_blp.doc(security=[])
    @track_blp.response(200, content_type="image/gif")
    def get(self, token):
        """The open pixel: a 1x1 image whose loading counts an open."""
        campaign_service.track_open(_uow(), token)
        return Response(PIXEL, mimetype="image/gif", headers=NO_TRACE)
