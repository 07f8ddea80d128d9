"""One-shot set-up of the leads service: `python -m leads.migrate` migrates and declares its queue."""
from crm_shared.migrations import set_up
from leads.config import SERVICE_ROOT, load_settings
from leads.handlers import HANDLERS

if __name__ == "__main__":
    set_up(load_settings(), SERVICE_ROOT, HANDLERS)
