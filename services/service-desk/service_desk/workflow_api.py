"""HTTP endpoints of agent groups, agent profiles, skill requirements and workflow rules: parse, call, serialise."""
import re

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from crm_shared.auth import current_identity, require_roles
from crm_shared.errors import APIError
from crm_shared.versioning import etag_header, required_version
from service_desk import agents, groups, rule_service
from service_desk.domain import CATEGORY_PATTERN
from service_desk.workflow_schemas import (
    AgentPageSchema,
    AgentSchema,
    AgentUpdateSchema,
    AvailabilitySchema,
    GroupCreateSchema,
    GroupPageSchema,
    GroupSchema,
    GroupUpdateSchema,
    RuleCreateSchema,
    RulePageSchema,
    RuleSchema,
    RuleUpdateSchema,
    SkillRequirementBodySchema,
    SkillRequirementPageSchema,
    SkillRequirementSchema,
)

groups_blp = Blueprint("agent_groups", __name__, url_prefix="/api/v1/agent-groups", description="Agent groups")
agents_blp = Blueprint("agents", __name__, url_prefix="/api/v1", description="Agents and skill requirements")
rules_blp = Blueprint("workflow_rules", __name__, url_prefix="/api/v1/workflow-rules", description="Workflow rules")
BLUEPRINTS = [groups_blp, agents_blp, rules_blp]


def _uow():
    return current_app.extensions["crm.uow_factory"]


@groups_blp.route("")
class Groups(MethodView):
    @groups_blp.response(200, GroupPageSchema)
    @require_roles(*groups.READERS)
    def get(self):
        """List the agent groups by name."""
        items = groups.list_groups(_uow())
        return {"items": items, "total": len(items)}

    @groups_blp.arguments(GroupCreateSchema)
    @groups_blp.response(201, GroupSchema)
    @require_roles(*groups.MANAGERS)
    def post(self, fields):
        """Add a group; 409 `group_name_taken`, 422 `unknown_agent`."""
        group = groups.create_group(_uow(), fields)
        return group, etag_header(group["version"])


@groups_blp.route("/<string:group_id>")
class GroupById(MethodView):
    @groups_blp.response(200, GroupSchema)
    @require_roles(*groups.READERS)
    def get(self, group_id):
        """One group."""
        group = groups.get_group(_uow(), group_id)
        return group, etag_header(group["version"])

    @groups_blp.arguments(GroupUpdateSchema)
    @groups_blp.response(200, GroupSchema)
    @require_roles(*groups.MANAGERS)
    def patch(self, fields, group_id):
        """Change a group (If-Match)."""
        group = groups.update_group(_uow(), group_id, required_version("group"), fields)
        return group, etag_header(group["version"])

    @groups_blp.response(204)
    @require_roles(*groups.MANAGERS)
    def delete(self, group_id):
        """Remove a group (If-Match); its tickets keep their assignee."""
        groups.delete_group(_uow(), group_id, required_version("group"))


@agents_blp.route("/agents")
class Agents(MethodView):
    @agents_blp.response(200, AgentPageSchema)
    @require_roles(*groups.READERS)
    def get(self):
        """List the service agents with their skills, availability, capacity and open tickets."""
        items = agents.list_agents(_uow())
        return {"items": items, "total": len(items)}


@agents_blp.route("/agents/<string:user_id>")
class AgentById(MethodView):
    @agents_blp.response(200, AgentSchema)
    @require_roles(*groups.READERS)
    def get(self, user_id):
        """One agent's profile."""
        agent = agents.get_agent(_uow(), user_id)
        return agent, etag_header(agent["version"])

    @agents_blp.arguments(AgentUpdateSchema)
    @agents_blp.response(200, AgentSchema)
    @require_roles(*agents.MANAGERS)
    def patch(self, fields, user_id):
        """Change an agent's skills, capacity or availability (If-Match; "0" for a profile never saved)."""
        agent = agents.update_agent(_uow(), user_id, required_version("agent"), fields, current_identity())
        return agent, etag_header(agent["version"])


@agents_blp.route("/agents/<string:user_id>/availability")
class AgentAvailability(MethodView):
    @agents_blp.arguments(AvailabilitySchema)
    @agents_blp.response(200, AgentSchema)
    @require_roles(*groups.READERS)
    def put(self, body, user_id):
        """Set an agent's availability: the agent themself, or a service manager; 403 for another agent."""
        agent = agents.set_availability(_uow(), user_id, body["availability"], current_identity())
        return agent, etag_header(agent["version"])


@agents_blp.route("/skill-requirements")
class SkillRequirements(MethodView):
    @agents_blp.response(200, SkillRequirementPageSchema)
    @require_roles(*groups.READERS)
    def get(self):
        """The skills each ticket category needs, most important first."""
        return {"items": agents.list_skill_requirements(_uow())}


@agents_blp.route("/skill-requirements/<string:category>")
class SkillRequirementByCategory(MethodView):
    @agents_blp.arguments(SkillRequirementBodySchema)
    @agents_blp.response(200, SkillRequirementSchema)
    @require_roles(*agents.MANAGERS)
    def put(self, body, category):
        """Set the skills a category's tickets need ([] for none)."""
        if not re.match(CATEGORY_PATTERN, category):
            raise APIError(422, "validation_failed", "Some fields are not valid. category: a slug of a-z, 0-9, _ and -.",
                           {"category": ["A slug of a-z, 0-9, _ and -."]})
        return agents.set_skill_requirement(_uow(), category, body["skills"])


@rules_blp.route("")
class Rules(MethodView):
    @rules_blp.response(200, RulePageSchema)
    @require_roles(*groups.MANAGERS)
    def get(self):
        """List the workflow rules in the order they run."""
        items = rule_service.list_rules(_uow())
        return {"items": items, "total": len(items)}

    @rules_blp.arguments(RuleCreateSchema)
    @rules_blp.response(201, RuleSchema)
    @require_roles(*groups.MANAGERS)
    def post(self, fields):
        """Add a rule; 422 `invalid_rule` names each problem of its conditions and actions."""
        rule = rule_service.create_rule(_uow(), fields)
        return rule, etag_header(rule["version"])


@rules_blp.route("/<string:rule_id>")
class RuleById(MethodView):
    @rules_blp.response(200, RuleSchema)
    @require_roles(*groups.MANAGERS)
    def get(self, rule_id):
        """One rule."""
        rule = rule_service.get_rule(_uow(), rule_id)
        return rule, etag_header(rule["version"])

    @rules_blp.arguments(RuleUpdateSchema)
    @rules_blp.response(200, RuleSchema)
    @require_roles(*groups.MANAGERS)
    def patch(self, fields, rule_id):
        """Change a rule (If-Match); the whole document is checked again."""
        rule = rule_service.update_rule(_uow(), rule_id, required_version("workflow rule"), fields)
        return rule, etag_header(rule["version"])

    @rules_blp.response(204)
    @require_roles(*groups.MANAGERS)
    def delete(self, rule_id):
        """Remove a rule (If-Match)."""
        rule_service.delete_rule(_uow(), rule_id, required_version("workflow rule"))
