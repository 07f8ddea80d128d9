"""The events reporting learns from (see contracts/events/ for examples); it publishes none."""

LEAD_CREATED = "leads.lead.created.v1"
LEAD_CLAIMED = "leads.lead.claimed.v1"
LEAD_CONVERTED = "leads.lead.converted.v1"
CUSTOMER_CREATED = "sales.customer.created.v1"
TICKET_OPENED = "service_desk.ticket.opened.v1"
