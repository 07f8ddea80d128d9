"""The public request form's endpoints: no login; the acknowledgement number and its secret are the key."""
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from crm_shared.errors import APIError
from service_desk import public_service
from service_desk.public_schemas import (
    PUBLIC_BODY_MAX,
    PublicAcknowledgementSchema,
    PublicMessageSchema,
    PublicRatingSchema,
    PublicReplySchema,
    PublicRequestSchema,
    PublicRequestViewSchema,
    PublicTokenQuerySchema,
)

public_blp = Blueprint("public_requests", __name__, url_prefix="/api/v1/public/requests",
                       description="The public request form (no login)")
# The gateway replaces this header with the address it saw, so a caller cannot choose its own; the service is
# reachable only through the gateway.
FORWARDED_FOR = "X-Forwarded-For"


def _uow():
    return current_app.extensions["crm.uow_factory"]


def client_address() -> str:
    forwarded = request.headers.get(FORWARDED_FOR, "").split(",")[0].strip()
    return (forwarded or request.remote_addr or "unknown")[:100]


@public_blp.before_request
def cap_body_size():
    # Tighter than the app's limit: nobody needs more for a request, and reading less costs less.
    if request.content_length is not None and request.content_length > PUBLIC_BODY_MAX:
        raise APIError(413, "payload_too_large", f"A request body has at most {PUBLIC_BODY_MAX} bytes.")
    request.max_content_length = PUBLIC_BODY_MAX


@public_blp.route("")
class PublicRequests(MethodView):
    crm_public = True

    @public_blp.doc(security=[])
    @public_blp.arguments(PublicRequestSchema)
    @public_blp.response(202, PublicAcknowledgementSchema)
    def post(self, fields):
        """Send a request; the answer's number and access token (shown once) let you follow it; 429 if too many."""
        return public_service.submit(_uow(), fields, client_address())


@public_blp.route("/<string:number>")
class PublicRequest(MethodView):
    crm_public = True

    @public_blp.doc(security=[])
    @public_blp.arguments(PublicTokenQuerySchema, location="query", unknown=RAISE)
    @public_blp.response(200, PublicRequestViewSchema)
    def get(self, args, number):
        """Your request's status and public thread; 404 unless the number and token belong together."""
        return public_service.view(_uow(), number, args["token"])


@public_blp.route("/<string:number>/replies")
class PublicReplies(MethodView):
    crm_public = True

    @public_blp.doc(security=[])
    @public_blp.arguments(PublicTokenQuerySchema, location="query", unknown=RAISE)
    @public_blp.arguments(PublicReplySchema)
    @public_blp.response(201, PublicMessageSchema)
    def post(self, args, body, number):
        """Answer on your request; it is open again if it was waiting for you, reopened if it was resolved."""
        return public_service.reply(_uow(), number, args["token"], body["body"], client_address())


@public_blp.route("/<string:number>/satisfaction")
class PublicSatisfaction(MethodView):
    crm_public = True

    @public_blp.doc(security=[])
    @public_blp.arguments(PublicTokenQuerySchema, location="query", unknown=RAISE)
    @public_blp.arguments(PublicRatingSchema)
    @public_blp.response(200, PublicRequestViewSchema)
    def put(self, args, body, number):
        """Rate the help you had, 1 to 5, once the request is resolved or closed."""
        return public_service.rate(_uow(), number, args["token"], body["rating"], body.get("comment"))
